using Microsoft.EntityFrameworkCore;

namespace Sentinel.EntityFramework;

/// <summary>Write helpers shared by the stores.</summary>
internal static class DbContextWrites
{
    /// <summary>
    /// Adds <paramref name="entities"/>, saves, and detaches them again, so that one scoped context serves many
    /// store calls without tracking stale copies.
    /// </summary>
    public static async Task AddAndSaveAsync<TEntity>(this DbContext context, CancellationToken cancellationToken, params TEntity[] entities)
        where TEntity : class
    {
        context.AddRange(entities);
        try
        {
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var entity in entities)
            {
                context.Entry(entity).State = EntityState.Detached;
            }
        }
    }
}
