using Sentinel.Sessions;
using Sentinel.Specification;
using Sentinel.Storage.InMemory;
using Sentinel.Tokens;

namespace Sentinel.Tests.Storage;

/// <summary>The session store conformance suite against the in-memory store.</summary>
public sealed class InMemorySessionStoreTests : SessionStoreSpecification
{
    private readonly InMemorySessionStore _store = new();

    protected override ValueTask<ISessionStore> CreateStoreAsync() => ValueTask.FromResult<ISessionStore>(_store);
}

/// <summary>The signing key store conformance suite against the in-memory store.</summary>
public sealed class InMemorySigningKeyStoreTests : SigningKeyStoreSpecification
{
    private readonly InMemorySigningKeyStore _store = new();

    protected override ValueTask<ISigningKeyStore> CreateStoreAsync() => ValueTask.FromResult<ISigningKeyStore>(_store);
}

/// <summary>The MFA store conformance suite against the in-memory store.</summary>
public sealed class InMemoryMfaStoreTests : MfaStoreSpecification
{
    private readonly InMemoryMfaStore _store = new();

    protected override ValueTask<Sentinel.Mfa.IMfaStore> CreateStoreAsync() => ValueTask.FromResult<Sentinel.Mfa.IMfaStore>(_store);
}

/// <summary>The API key store conformance suite against the in-memory store.</summary>
public sealed class InMemoryApiKeyStoreTests : ApiKeyStoreSpecification
{
    private readonly InMemoryApiKeyStore _store = new();

    protected override ValueTask<Sentinel.ApiKeys.IApiKeyStore> CreateStoreAsync() => ValueTask.FromResult<Sentinel.ApiKeys.IApiKeyStore>(_store);
}

/// <summary>The audit store conformance suite against the in-memory store.</summary>
public sealed class InMemoryAuditStoreTests : AuditStoreSpecification
{
    private InMemoryAuditStore _store = new();

    protected override ValueTask<Sentinel.Audit.IAuditStore> CreateEmptyStoreAsync()
    {
        _store = new InMemoryAuditStore();
        return ValueTask.FromResult<Sentinel.Audit.IAuditStore>(_store);
    }

    protected override ValueTask<Sentinel.Audit.IAuditStore> CreateStoreAsync() => ValueTask.FromResult<Sentinel.Audit.IAuditStore>(_store);

    protected override ValueTask EditTypeAsync(long sequence, string type)
    {
        _store.Tamper(sequence, e => e with { Type = type });
        return ValueTask.CompletedTask;
    }

    protected override ValueTask DeleteAsync(long sequence)
    {
        _store.Tamper(sequence, _ => null);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The one-time token store conformance suite against the in-memory store.</summary>
public sealed class InMemoryOneTimeTokenStoreTests : OneTimeTokenStoreSpecification
{
    private readonly InMemoryOneTimeTokenStore _store = new();

    protected override ValueTask<Sentinel.Email.IOneTimeTokenStore> CreateStoreAsync() => ValueTask.FromResult<Sentinel.Email.IOneTimeTokenStore>(_store);
}

/// <summary>The passkey store conformance suite against the in-memory store.</summary>
public sealed class InMemoryPasskeyStoreTests : PasskeyStoreSpecification
{
    private readonly InMemoryPasskeyStore _store = new();

    protected override ValueTask<Sentinel.Passkeys.IPasskeyStore> CreateStoreAsync() => ValueTask.FromResult<Sentinel.Passkeys.IPasskeyStore>(_store);
}
