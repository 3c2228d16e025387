using System.Text.Json.Serialization;

namespace Sentinel.AspNetCore.Endpoints.Contracts;

#pragma warning disable CS1591 // Request and response shapes of docs/API.md; the fields are documented there.

public sealed record RegisterRequest
{
    public required string Email { get; init; }

    public required string Password { get; init; }
}

public sealed record RegisterResponse(Guid Id, string Email, DateTimeOffset CreatedAt);

public sealed record LoginRequest
{
    public required string Email { get; init; }

    public required string Password { get; init; }

    public string? TwoFactorCode { get; init; }

    public string? TwoFactorRecoveryCode { get; init; }

    public string? DeviceToken { get; init; }
}

public sealed record RefreshRequest
{
    public required string RefreshToken { get; init; }
}

public sealed record LogoutRequest
{
    public string? RefreshToken { get; init; }
}

public sealed record ChangePasswordRequest
{
    /// <summary>The current password; left out only by an account that has none yet (a passkey sign-up).</summary>
    public string? CurrentPassword { get; init; }

    public required string NewPassword { get; init; }
}

/// <summary>Field names identical to ASP.NET Core Identity's <c>AccessTokenResponse</c>.</summary>
public sealed record AccessTokenResponse(string TokenType, string AccessToken, long ExpiresIn, string RefreshToken)
{
    /// <summary>Recognises this device at its next sign-in; only in sign-in responses.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DeviceToken { get; init; }
}

public sealed record MeResponse(Guid Id, string Email, IReadOnlyList<string> Roles, bool MfaEnabled, DateTimeOffset CreatedAt, bool HasPassword);

public sealed record SessionResponse(
    Guid Id, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt, string? IpAddress, string? UserAgent, bool Current);

public sealed record JsonWebKeySetResponse(IReadOnlyList<JsonWebKeyResponse> Keys);

public sealed record JsonWebKeyResponse
{
    [JsonPropertyName("kty")] public required string Kty { get; init; }

    [JsonPropertyName("use")] public required string Use { get; init; }

    [JsonPropertyName("alg")] public required string Alg { get; init; }

    [JsonPropertyName("kid")] public required string Kid { get; init; }

    [JsonPropertyName("crv"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Crv { get; init; }

    [JsonPropertyName("x"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? X { get; init; }

    [JsonPropertyName("y"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Y { get; init; }

    [JsonPropertyName("n"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? N { get; init; }

    [JsonPropertyName("e"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? E { get; init; }
}

public sealed record LoginMfaRequest
{
    public required string MfaToken { get; init; }

    public string? Code { get; init; }

    public string? RecoveryCode { get; init; }
}

public sealed record ReauthenticateRequest
{
    public string? Password { get; init; }

    public string? Code { get; init; }

    public string? RecoveryCode { get; init; }

    /// <summary>An <c>AuthenticationResponseJSON</c>: re-authenticates with a passkey instead of the password.</summary>
    public System.Text.Json.JsonElement? Passkey { get; init; }
}

public sealed record PasskeyRegistrationRequest
{
    /// <summary>The browser's <c>RegistrationResponseJSON</c> (<c>credential.toJSON()</c>).</summary>
    public required System.Text.Json.JsonElement Credential { get; init; }

    public string? Name { get; init; }
}

public sealed record PasskeyLoginRequest
{
    /// <summary>The browser's <c>AuthenticationResponseJSON</c> (<c>credential.toJSON()</c>).</summary>
    public required System.Text.Json.JsonElement Credential { get; init; }
}

public sealed record PasskeySignUpRequest
{
    /// <summary>The browser's <c>RegistrationResponseJSON</c> (<c>credential.toJSON()</c>).</summary>
    public required System.Text.Json.JsonElement Credential { get; init; }
}

public sealed record PasskeySignUpOptionsRequest
{
    public required string Email { get; init; }
}

public sealed record PasskeyRenameRequest
{
    public required string Name { get; init; }
}

public sealed record PasskeyResponse(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, bool BackedUp, IReadOnlyList<string> Transports);

public sealed record MfaStatusResponse(bool Enabled, bool PendingSetup, int RecoveryCodesLeft);

public sealed record TotpSetupResponse(string SharedKey, string OtpauthUri, string QrCodePng);

public sealed record MfaCodeRequest
{
    public required string Code { get; init; }
}

public sealed record MfaDisableRequest
{
    public string? Code { get; init; }

    public string? RecoveryCode { get; init; }

    public required string Password { get; init; }
}

public sealed record RecoveryCodesResponse(IReadOnlyList<string> RecoveryCodes);

public sealed record CreateApiKeyRequest
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> Scopes { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }
}

public sealed record CreatedApiKeyResponse(
    Guid Id, string Name, string Key, string DisplayPrefix, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

public sealed record ApiKeyResponse(
    Guid Id, string Name, string DisplayPrefix, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

public sealed record EmailRequest
{
    public required string Email { get; init; }
}

public sealed record TokenRequest
{
    public required string Token { get; init; }
}

public sealed record ResetPasswordRequest
{
    public required string Token { get; init; }

    public required string NewPassword { get; init; }
}

public sealed record AuditEventResponse(
    Guid Id, DateTimeOffset Timestamp, string Type, string Outcome, Guid? UserId, Guid? ApiKeyId, Guid? SessionId,
    string? IpAddress, string? UserAgent, string? TraceId, IReadOnlyDictionary<string, string> Details);

public sealed record AuditPageResponse(IReadOnlyList<AuditEventResponse> Items, string? NextCursor);

public sealed record AuditVerificationResponse(bool Valid, long Checked, Guid? FirstInvalidId);

#pragma warning restore CS1591

/// <summary>Source-generated JSON for every Sentinel request and response (web defaults: camelCase).</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(RefreshRequest))]
[JsonSerializable(typeof(LogoutRequest))]
[JsonSerializable(typeof(ChangePasswordRequest))]
[JsonSerializable(typeof(AccessTokenResponse))]
[JsonSerializable(typeof(MeResponse))]
[JsonSerializable(typeof(SessionResponse[]))]
[JsonSerializable(typeof(JsonWebKeySetResponse))]
[JsonSerializable(typeof(LoginMfaRequest))]
[JsonSerializable(typeof(ReauthenticateRequest))]
[JsonSerializable(typeof(MfaStatusResponse))]
[JsonSerializable(typeof(TotpSetupResponse))]
[JsonSerializable(typeof(MfaCodeRequest))]
[JsonSerializable(typeof(MfaDisableRequest))]
[JsonSerializable(typeof(RecoveryCodesResponse))]
[JsonSerializable(typeof(CreateApiKeyRequest))]
[JsonSerializable(typeof(CreatedApiKeyResponse))]
[JsonSerializable(typeof(ApiKeyResponse[]))]
[JsonSerializable(typeof(EmailRequest))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(ResetPasswordRequest))]
[JsonSerializable(typeof(AuditPageResponse))]
[JsonSerializable(typeof(AuditVerificationResponse))]
[JsonSerializable(typeof(PasskeyRegistrationRequest))]
[JsonSerializable(typeof(PasskeyLoginRequest))]
[JsonSerializable(typeof(PasskeySignUpRequest))]
[JsonSerializable(typeof(PasskeySignUpOptionsRequest))]
[JsonSerializable(typeof(PasskeyRenameRequest))]
[JsonSerializable(typeof(PasskeyResponse))]
[JsonSerializable(typeof(PasskeyResponse[]))]
public sealed partial class SentinelJsonContext : JsonSerializerContext;
