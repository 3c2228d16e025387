using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Sentinel.Audit;

namespace Sentinel.EntityFramework.Audit;

/// <summary>
/// Appends audit entries with parameterised multi-row INSERTs built from the EF model (table and column names,
/// type mappings and value converters), so any relational provider stores exactly what EF would, much faster.
/// </summary>
internal sealed class AuditInsertCommand
{
    // PostgreSQL takes up to 65,535 parameters per statement; a few thousand rows' worth is plenty. SQLite looks a
    // parameter up by name in a linear list, so a many-row statement costs quadratic time there: it gets one row per
    // statement, prepared once and re-bound, which is SQLite's own fast path for bulk inserts.
    private const int MaxParametersPerCommand = 2_000;
    private const string SqliteProvider = "Microsoft.EntityFrameworkCore.Sqlite";

    private static readonly ConcurrentDictionary<IModel, AuditInsertCommand> ByModel = new();

    private readonly (IProperty Property, RelationalTypeMapping Mapping, string Column)[] _columns;
    private readonly string _insertInto;
    private readonly ISqlGenerationHelper _sql;
    private readonly ConcurrentDictionary<int, string> _textByRows = new();

    private AuditInsertCommand(DbContext context)
    {
        var entity = context.Model.FindEntityType(typeof(AuditEntry))
            ?? throw new InvalidOperationException("The context does not map Sentinel's audit log; call modelBuilder.UseSentinel().");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        _sql = context.GetService<ISqlGenerationHelper>();
        _columns = [.. entity.GetProperties().Select(p => (p, p.GetRelationalTypeMapping(), p.GetColumnName(table)!))];
        _insertInto = $"INSERT INTO {_sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", _columns.Select(c => _sql.DelimitIdentifier(c.Column)))}) VALUES ";
        RowsPerCommand = context.Database.ProviderName == SqliteProvider ? 1 : Math.Max(1, MaxParametersPerCommand / _columns.Length);
    }

    private int RowsPerCommand { get; }

    public static async Task ExecuteAsync(DbContext context, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        var insert = ByModel.GetOrAdd(context.Model, _ => new AuditInsertCommand(context));
        var database = context.Database;
        await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var command = database.GetDbConnection().CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.Transaction = transaction.GetDbTransaction();
                    for (var start = 0; start < entries.Count; start += insert.RowsPerCommand)
                    {
                        var rows = Math.Min(insert.RowsPerCommand, entries.Count - start);
                        var text = insert._textByRows.GetOrAdd(rows, insert.Text);
                        if (!ReferenceEquals(command.CommandText, text))
                        {
                            command.CommandText = text; // the same text keeps the prepared statement
                        }

                        command.Parameters.Clear();
                        insert.Bind(command, entries, start, rows);
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    private string Text(int rows)
    {
        var text = new StringBuilder(_insertInto);
        for (var row = 0; row < rows; row++)
        {
            text.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < _columns.Length; column++)
            {
                text.Append(column == 0 ? "" : ", ").Append(_sql.GenerateParameterNamePlaceholder(ParameterName(row, column)));
            }

            text.Append(')');
        }

        return text.ToString();
    }

    private void Bind(DbCommand command, IReadOnlyList<AuditEntry> entries, int start, int rows)
    {
        for (var row = 0; row < rows; row++)
        {
            var entry = entries[start + row];
            for (var column = 0; column < _columns.Length; column++)
            {
                var (property, mapping, _) = _columns[column];
                // CreateParameter applies the property's value converter (UTC ticks, details as JSON) as EF would.
                command.Parameters.Add(mapping.CreateParameter(command, _sql.GenerateParameterName(ParameterName(row, column)),
                    property.GetGetter().GetClrValueUsingContainingEntity(entry), property.IsNullable));
            }
        }
    }

    private string ParameterName(int row, int column) => $"p{(row * _columns.Length) + column}";
}
