using Sentinel.Specification;
using Sentinel.Storage.InMemory;
using Sentinel.Users;

namespace Sentinel.Tests.Storage;

/// <summary>The store conformance suite against the in-memory store (one store shared by every fact, like a database).</summary>
public sealed class InMemoryUserStoreTests : UserStoreSpecification
{
    private readonly InMemoryUserStore _store = new();

    protected override ValueTask<IUserStore> CreateStoreAsync() => ValueTask.FromResult<IUserStore>(_store);
}
