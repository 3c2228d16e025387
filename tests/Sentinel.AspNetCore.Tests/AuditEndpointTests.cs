using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;
using Sentinel.ApiKeys;
using Sentinel.Audit;
using Sentinel.EntityFramework;

namespace Sentinel.AspNetCore.Tests;

/// <summary>docs/API.md "Audit" from the outside, over the real queued writer and a real SQLite file (SECURITY A1–A4).</summary>
public sealed class AuditEndpointTests : IAsyncLifetime
{
    private readonly HostTelemetry _telemetry = new();
    private SentinelTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await SentinelTestHost.StartAsync(
        o => o.ApiKeys.Scopes.Add("reports:read", "Read reports"),
        app => app.MapGet("/reports", () => TypedResults.Ok("reports")).RequireAuthorization(p => p.RequireScope("reports:read")),
        _telemetry.Attach);

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _telemetry.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> PageAsync(string path, string accessToken)
    {
        var response = await _host.GetAsync(path, accessToken);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static string[] Types(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("type").GetString()!)];

    [Fact]
    public async Task OwnHistory_ShowsTheCallersEventsOnly_NewestFirst_WithEveryField()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        await _host.PostAsync("/auth/login", new { email, password = "wrong horse battery" });
        var (_, other) = await _host.SignUpAndLoginAsync();

        var page = await PageAsync("/auth/audit/me", tokens.AccessToken);

        Types(page).Should().Equal(AuditEventTypes.LoginFailed, AuditEventTypes.LoginSucceeded, AuditEventTypes.UserRegistered);
        page.GetProperty("nextCursor").ValueKind.Should().Be(JsonValueKind.Null);
        var failed = page.GetProperty("items")[0];
        failed.EnumerateObject().Select(p => p.Name).Should().Equal(
            "id", "timestamp", "type", "outcome", "userId", "apiKeyId", "sessionId", "ipAddress", "userAgent", "traceId", "details");
        failed.GetProperty("outcome").GetString().Should().Be("failure");
        failed.GetProperty("timestamp").GetString().Should().Be("2026-11-28T14:40:03Z");
        failed.GetProperty("details").GetProperty("reason").GetString().Should().Be("wrong_password");
        var succeeded = page.GetProperty("items")[1];
        succeeded.GetProperty("outcome").GetString().Should().Be("success");
        var me = await (await _host.GetAsync("/auth/me", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        succeeded.GetProperty("userId").GetString().Should().Be(me.GetProperty("id").GetString());

        var theirs = await PageAsync("/auth/audit/me", other.AccessToken);
        Types(theirs).Should().Equal(AuditEventTypes.LoginSucceeded, AuditEventTypes.UserRegistered);
    }

    [Fact]
    public async Task OwnHistory_PagesByCursor_AndRefusesBadParameters()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        for (var i = 0; i < 3; i++)
        {
            await _host.LoginAsync(email);
        }

        var first = await PageAsync("/auth/audit/me?limit=2", tokens.AccessToken);
        Types(first).Should().HaveCount(2);
        var cursor = first.GetProperty("nextCursor").GetString()!;
        var second = await PageAsync($"/auth/audit/me?limit=2&cursor={cursor}", tokens.AccessToken);
        var third = await PageAsync($"/auth/audit/me?limit=2&cursor={second.GetProperty("nextCursor").GetString()}", tokens.AccessToken);
        Types(first).Concat(Types(second)).Concat(Types(third)).Should().Equal(
            AuditEventTypes.LoginSucceeded, AuditEventTypes.LoginSucceeded, AuditEventTypes.LoginSucceeded, AuditEventTypes.LoginSucceeded, AuditEventTypes.UserRegistered);
        third.GetProperty("nextCursor").ValueKind.Should().Be(JsonValueKind.Null);

        foreach (var bad in new[] { "limit=0", "limit=501", "limit=ten", "limit=1&limit=2", "cursor=AAAA", "cursor=" + new string('x', 300) })
        {
            var problem = await (await _host.GetAsync($"/auth/audit/me?{bad}", tokens.AccessToken)).ShouldBeProblemAsync(400, "validation_failed");
            problem.GetProperty("errors").EnumerateObject().Should().ContainSingle();
        }

        (await _host.GetAsync("/auth/audit/me", null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AdminQuery_FiltersByUserTypeOutcomeAndTime_AndOthersAreForbidden()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        await _host.PostAsync("/auth/login", new { email, password = "wrong horse battery" });
        var (_, admin) = await _host.SignUpWithRoleAsync("admin");
        var me = await (await _host.GetAsync("/auth/me", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var userId = me.GetProperty("id").GetString();

        Types(await PageAsync($"/auth/audit?userId={userId}", admin.AccessToken)).Should().Equal(
            AuditEventTypes.LoginFailed, AuditEventTypes.LoginSucceeded, AuditEventTypes.UserRegistered);
        Types(await PageAsync($"/auth/audit?userId={userId}&outcome=success", admin.AccessToken)).Should().Equal(
            AuditEventTypes.LoginSucceeded, AuditEventTypes.UserRegistered);
        Types(await PageAsync($"/auth/audit?type=login.failed", admin.AccessToken)).Should().Equal(AuditEventTypes.LoginFailed);
        Types(await PageAsync($"/auth/audit?from=2026-11-28T14:40:03Z&to=2026-11-28T14:40:04Z&limit=500", admin.AccessToken)).Should().HaveCount(6, "two users' events and the first signing key's");
        Types(await PageAsync($"/auth/audit?from=2026-11-28T14:40:04Z", admin.AccessToken)).Should().BeEmpty();

        foreach (var bad in new[] { "userId=42", "outcome=maybe", "type=login.hacked", "from=yesterday", "from=2026-11-28T14:40:03", "from=2026-11-29T00:00:00Z&to=2026-11-28T00:00:00Z" })
        {
            await (await _host.GetAsync($"/auth/audit?{bad}", admin.AccessToken)).ShouldBeProblemAsync(400, "validation_failed");
        }

        await (await _host.GetAsync("/auth/audit", tokens.AccessToken)).ShouldBeProblemAsync(403, "forbidden");
        await (await _host.GetAsync("/auth/audit/verify", tokens.AccessToken)).ShouldBeProblemAsync(403, "forbidden");
        (await _host.GetAsync("/auth/audit", null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AdminRole_IsConfigurable()
    {
        await using var host = await SentinelTestHost.StartAsync(o => o.Audit.AdminRole = "security");
        var (_, admin) = await host.SignUpWithRoleAsync("admin");
        var (_, security) = await host.SignUpWithRoleAsync("security");

        await (await host.GetAsync("/auth/audit", admin.AccessToken)).ShouldBeProblemAsync(403, "forbidden");
        (await host.GetAsync("/auth/audit", security.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Verify_IsValid_ThenReportsTheRowEditedBySql()
    {
        // SECURITY A3 over HTTP: an edit in the database makes verify report the first broken id.
        var (email, _) = await _host.SignUpAndLoginAsync();
        await _host.PostAsync("/auth/login", new { email, password = "wrong horse battery" });
        var (_, admin) = await _host.SignUpWithRoleAsync("admin");

        var before = await PageAsync("/auth/audit/verify", admin.AccessToken);
        before.GetProperty("valid").GetBoolean().Should().BeTrue();
        before.GetProperty("checked").GetInt64().Should().Be(6);
        before.GetProperty("firstInvalidId").ValueKind.Should().Be(JsonValueKind.Null);

        // Someone with database access turns the failed sign-in into a success.
        var failed = (await _host.AuditAsync()).Single(e => e.Type == AuditEventTypes.LoginFailed);
        await using (var scope = _host.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SentinelDbContext>();
            (await db.Database.ExecuteSqlAsync($"UPDATE sentinel_audit_events SET \"Outcome\" = 0, \"Type\" = 'login.succeeded' WHERE \"Sequence\" = {failed.Sequence}", Ct)).Should().Be(1);
        }

        var after = await PageAsync("/auth/audit/verify", admin.AccessToken);
        after.GetProperty("valid").GetBoolean().Should().BeFalse();
        after.GetProperty("firstInvalidId").GetGuid().Should().Be(failed.Id);
        after.GetProperty("checked").GetInt64().Should().Be(failed.Sequence);
    }

    [Fact]
    public async Task EveryAuthenticationMfaKeyAndSessionDecision_WritesOneEvent_WithNoSecretInIt()
    {
        // SECURITY A1 (every attempt and every key, MFA and session change writes one event) and A2 (no password,
        // token, key, secret or code in an event, a log line or a metric tag), over one user's whole journey.
        var before = (await _host.AuditAsync()).Count;
        _telemetry.Listen(_host.App.Services);
        var secrets = new List<string> { SentinelTestHost.Password, "Another-Passphrase-8841" };
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        secrets.AddRange([tokens.AccessToken, tokens.RefreshToken]);
        await _host.PostAsync("/auth/login", new { email, password = "wrong horse battery" });
        var refreshed = await (await _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })).Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct);
        await _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken }); // reuse: the session is revoked
        var session = await _host.LoginAsync(email);
        var other = await _host.LoginAsync(email);
        var sessions = await (await _host.GetAsync("/auth/sessions", session.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var otherId = sessions.EnumerateArray().First(s => !s.GetProperty("current").GetBoolean()).GetProperty("id").GetString();
        (await _host.SendAsync(HttpMethod.Delete, $"/auth/sessions/{otherId}", session.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _host.PostAsync("/auth/password", new { currentPassword = SentinelTestHost.Password, newPassword = secrets[1] }, session.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        // Two-factor: enrol, challenge, a wrong code, a right code, a recovery code, regenerate, disable.
        var setup = await (await _host.PostAsync("/auth/mfa/totp/setup", null, session.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var sharedKey = setup.GetProperty("sharedKey").GetString()!;
        var secret = Base32Encoding.ToBytes(sharedKey);
        string Code() => new Totp(secret).ComputeTotp(_host.Time.GetUtcNow().UtcDateTime);
        secrets.Add(sharedKey);
        var confirm = await (await _host.PostAsync("/auth/mfa/totp/confirm", new { code = Code() }, session.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var recoveryCodes = confirm.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();
        secrets.AddRange(recoveryCodes);
        _host.Time.Advance(TimeSpan.FromSeconds(30));
        var challenge = await (await _host.PostAsync("/auth/login", new { email, password = secrets[1] })).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var mfaToken = challenge.GetProperty("mfaToken").GetString()!;
        secrets.Add(mfaToken);
        await (await _host.PostAsync("/auth/login/mfa", new { mfaToken, code = "000000" == Code() ? "111111" : "000000" })).ShouldBeProblemAsync(401, "invalid_mfa_code");
        var code = Code();
        (await _host.PostAsync("/auth/login/mfa", new { mfaToken, code })).StatusCode.Should().Be(HttpStatusCode.OK);
        var viaRecovery = await _host.PostAsync("/auth/login", new { email, password = secrets[1], twoFactorRecoveryCode = recoveryCodes[0] });
        viaRecovery.StatusCode.Should().Be(HttpStatusCode.OK);
        var mfaSession = (await viaRecovery.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct))!;
        _host.Time.Advance(TimeSpan.FromSeconds(30));
        var regenerated = await _host.PostAsync("/auth/mfa/recovery-codes", new { code = Code() }, mfaSession.AccessToken);
        regenerated.StatusCode.Should().Be(HttpStatusCode.OK);
        secrets.AddRange((await regenerated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!));
        _host.Time.Advance(TimeSpan.FromSeconds(30));
        (await _host.PostAsync("/auth/mfa/totp/disable", new { code = Code(), password = secrets[1] }, mfaSession.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        // API keys: create, use, a bad key, rotate, revoke.
        var created = await (await _host.PostAsync("/auth/api-keys", new { name = "ci", scopes = new[] { "reports:read" } }, mfaSession.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var key = created.GetProperty("key").GetString()!;
        secrets.Add(key);
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/reports") { Headers = { { "X-Api-Key", key } } })
        {
            (await _host.Client.SendAsync(request, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/reports") { Headers = { { "X-Api-Key", key[..^1] + (key[^1] == 'a' ? 'b' : 'a') } } })
        {
            (await _host.Client.SendAsync(request, Ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        var rotated = await (await _host.PostAsync($"/auth/api-keys/{created.GetProperty("id").GetString()}/rotate", null, mfaSession.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        secrets.Add(rotated.GetProperty("key").GetString()!);
        (await _host.SendAsync(HttpMethod.Delete, $"/auth/api-keys/{rotated.GetProperty("id").GetString()}", mfaSession.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await using (var scope = _host.App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ApiKeyService>().FlushUsageAsync(cancellationToken: Ct);
        }

        // Sessions end: logout, lockout after repeated failures, log out everywhere.
        (await _host.PostAsync("/auth/logout", null, mfaSession.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var last = await _host.LoginAsync(email, secrets[1]);
        for (var i = 0; i < 6; i++)
        {
            await _host.PostAsync("/auth/login", new { email, password = "wrong horse battery" });
        }

        (await _host.PostAsync("/auth/logout/all", null, last.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var events = (await _host.AuditAsync()).Skip(before).ToList();
        var expected = new Dictionary<string, int>
        {
            [AuditEventTypes.UserRegistered] = 1,
            [AuditEventTypes.LoginSucceeded] = 6, // password only (3), after an MFA code, with a recovery code, after logout
            [AuditEventTypes.LoginFailed] = 6, // one wrong password early, five before the account locks
            [AuditEventTypes.LoginLockedOut] = 2, // the account locking, then the sixth guess refused while locked
            [AuditEventTypes.MfaChallengeIssued] = 1,
            [AuditEventTypes.MfaSucceeded] = 4, // every second-factor check (M8): both MFA sign-ins (a code, a recovery code), regenerating, disabling
            [AuditEventTypes.MfaFailed] = 1,
            [AuditEventTypes.MfaEnabled] = 1,
            [AuditEventTypes.MfaDisabled] = 1,
            [AuditEventTypes.MfaRecoveryCodeUsed] = 1, // and, for the latter, the code spent
            [AuditEventTypes.MfaRecoveryCodesRegenerated] = 1,
            [AuditEventTypes.TokenRefreshed] = 1, // the replay is token.reuse_detected, not a second refresh
            [AuditEventTypes.TokenReuseDetected] = 1,
            [AuditEventTypes.SessionRevoked] = 1,
            [AuditEventTypes.Logout] = 1,
            [AuditEventTypes.LogoutAll] = 1,
            [AuditEventTypes.PasswordChanged] = 1,
            [AuditEventTypes.ApiKeyCreated] = 1,
            [AuditEventTypes.ApiKeyUsed] = 1, // aggregated: one per key per UsageWriteInterval
            [AuditEventTypes.ApiKeyRejected] = 1,
            [AuditEventTypes.ApiKeyRevoked] = 1,
            [AuditEventTypes.ApiKeyRotated] = 1,
        };
        events.GroupBy(e => e.Type).ToDictionary(g => g.Key, g => g.Count()).Should().BeEquivalentTo(expected, "each decision of this journey writes exactly one event (A1)");
        events.Where(e => e.Type is not AuditEventTypes.ApiKeyRejected)
            .Should().OnlyContain(e => e.UserId != null, "every event of a known user names them");
        var all = JsonSerializer.Serialize(events);
        var logs = string.Join('\n', _telemetry.LogLines);
        _telemetry.LogLines.Should().Contain(l => l.StartsWith("3001 ", StringComparison.Ordinal), "decisions are logged, at every level here");
        var tagValues = _telemetry.Measurements.SelectMany(m => m.Tags).Select(t => t.Value as string ?? "").ToList();
        foreach (var s in secrets.Append(refreshed!.AccessToken).Append(refreshed.RefreshToken))
        {
            all.Should().NotContain(s, "no secret appears in an event (A2)");
            logs.Should().NotContain(s, "no secret appears in a log line (A2)");
            tagValues.Should().NotContain(v => v.Contains(s, StringComparison.Ordinal), "no secret appears in a metric tag (A2)");
        }

        // Every tag comes from a closed set (docs/operations.md "Metrics"), never from input.
        var closed = new Dictionary<string, HashSet<string>>
        {
            ["result"] = ["success", "failure", "invalid_credentials", "locked_out", "recovery_code", "valid", "rejected", "rate_limited"],
            ["outcome"] = ["success", "failure"],
            ["type"] = [.. AuditEventTypes.All],
            ["reason"] = ["queue_full", "store_unavailable"],
            ["policy"] = ["signin", "refresh", "registration", "apikeycreation", "accountrecovery", "global"],
            ["trigger"] = ["start", "interval", "reconnect", "disconnected"],
            ["kind"] = ["session_revoked", "user_tokens_revoked", "apikey_changed", "signing_keys_changed"],
        };
        foreach (var tag in _telemetry.Measurements.SelectMany(m => m.Tags))
        {
            closed.Should().ContainKey(tag.Key);
            closed[tag.Key].Should().Contain((string)tag.Value!);
        }

        // The counters say what the events say.
        int Count(string type, AuditOutcome? outcome = null) => events.Count(e => e.Type == type && (outcome is null || e.Outcome == outcome));
        _telemetry.Sum("sentinel.audit.events").Should().Be(events.Count);
        _telemetry.Sum("sentinel.audit.written").Should().Be(events.Count);
        _telemetry.Sum("sentinel.audit.events", ("type", AuditEventTypes.LoginFailed), ("outcome", "failure")).Should().Be(Count(AuditEventTypes.LoginFailed));
        _telemetry.Sum("sentinel.login.attempts", ("result", "success")).Should().BeGreaterThanOrEqualTo(4);
        _telemetry.Sum("sentinel.login.attempts", ("result", "invalid_credentials")).Should().BeGreaterThanOrEqualTo(Count(AuditEventTypes.LoginFailed) - Count(AuditEventTypes.LoginLockedOut));
        _telemetry.Sum("sentinel.login.attempts", ("result", "locked_out")).Should().BePositive();
        _telemetry.Sum("sentinel.lockouts").Should().Be(Count(AuditEventTypes.LoginLockedOut));
        _telemetry.Sum("sentinel.mfa.verifications", ("result", "success")).Should().Be(Count(AuditEventTypes.MfaSucceeded));
        _telemetry.Sum("sentinel.mfa.verifications", ("result", "failure")).Should().Be(Count(AuditEventTypes.MfaFailed));
        _telemetry.Sum("sentinel.mfa.verifications", ("result", "recovery_code")).Should().Be(Count(AuditEventTypes.MfaRecoveryCodeUsed));
        _telemetry.Sum("sentinel.token.refreshes", ("result", "success")).Should().Be(Count(AuditEventTypes.TokenRefreshed, AuditOutcome.Success)).And.BePositive();
        _telemetry.Sum("sentinel.token.refreshes", ("result", "failure")).Should().Be(Count(AuditEventTypes.TokenRefreshed, AuditOutcome.Failure));
        _telemetry.Sum("sentinel.token.reuse_detections").Should().Be(1);
        _telemetry.Sum("sentinel.apikey.verifications", ("result", "valid")).Should().Be(1, "one request with the key");
        _telemetry.Sum("sentinel.apikey.verifications", ("result", "rejected")).Should().Be(1, "one request with a bad key");
        _telemetry.Sum("sentinel.user.registrations", ("result", "success")).Should().Be(1);
        _telemetry.RecordObservables();
        _telemetry.Measurements.Last(m => m.Instrument == "sentinel.audit.queue_depth").Value.Should().Be(0, "everything was written");

        var admin = await _host.SignUpWithRoleAsync("admin");
        (await PageAsync("/auth/audit/verify", admin.Tokens.AccessToken)).GetProperty("valid").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task AWitnessHead_CatchesWhatTheChainAloneCannot_ARecomputedChain_AndDeletedNewestEvents()
    {
        // SECURITY A3 against someone who can write the table and knows the chain's format.
        var (email, _) = await _host.SignUpAndLoginAsync();
        await _host.PostAsync("/auth/login", new { email, password = "wrong horse battery" });
        await _host.SignUpAndLoginAsync();
        var entries = await _host.AuditAsync();
        await using var scope = _host.App.Services.CreateAsyncScope();
        var audit = scope.ServiceProvider.GetRequiredService<AuditService>();
        var head = await audit.GetHeadAsync(Ct);
        (head.Sequence, head.Hash).Should().BeEquivalentTo((entries[^1].Sequence, entries[^1].Hash));

        // The host logs the head every maintenance round (its audit job, every 5 minutes), so a copy leaves the database.
        _telemetry.Listen(_host.App.Services);
        await _host.App.Services.GetServices<Sentinel.Hosting.SentinelJob>().Single(j => j.Name == "audit_prune").RunOnceAsync(Ct);
        var logged = $"1413 Audit chain head: sequence {head.Sequence}, hash {Convert.ToHexStringLower(head.Hash)}.";
        _telemetry.LogLines.Should().Contain(l => l.StartsWith(logged, StringComparison.Ordinal));

        // 1. The failed sign-in becomes a success, and every later hash is recomputed: the chain alone verifies.
        var db = scope.ServiceProvider.GetRequiredService<SentinelDbContext>();
        var failed = entries.Single(e => e.Type == AuditEventTypes.LoginFailed);
        var previous = entries.Single(e => e.Sequence == failed.Sequence - 1).Hash;
        foreach (var entry in entries.Where(e => e.Sequence >= failed.Sequence))
        {
            var auditEvent = entry.Sequence == failed.Sequence
                ? entry.ToEvent() with { Type = AuditEventTypes.LoginSucceeded, Outcome = AuditOutcome.Success }
                : entry.ToEvent();
            var forged = AuditEntry.Link(auditEvent, entry.Sequence, previous);
            (await db.Database.ExecuteSqlAsync(
                $"UPDATE sentinel_audit_events SET \"Type\" = {forged.Type}, \"Outcome\" = {(int)forged.Outcome}, \"PreviousHash\" = {forged.PreviousHash}, \"Hash\" = {forged.Hash} WHERE \"Sequence\" = {forged.Sequence}", Ct)).Should().Be(1);
            previous = forged.Hash;
        }

        (await audit.VerifyAsync(Ct)).Valid.Should().BeTrue("a recomputed chain is consistent: the chain alone cannot tell");
        (await audit.VerifyAsync(head, Ct)).Should().Be(new AuditVerification(false, entries.Count, entries[^1].Id), "the head no longer has the hash the witness holds");

        // 2. The newest two events are deleted: the shorter chain verifies, the witness does not.
        (await db.Database.ExecuteSqlAsync($"DELETE FROM sentinel_audit_events WHERE \"Sequence\" > {head.Sequence - 2}", Ct)).Should().Be(2);
        (await audit.VerifyAsync(Ct)).Valid.Should().BeTrue();
        (await audit.VerifyAsync(head, Ct)).Should().Be(new AuditVerification(false, entries.Count - 2, null), "the chain ends before the witnessed head");
    }

    [Fact]
    public async Task Retention_PrunesOldEvents_OnTheHostsSchedule_AndTheRestStillVerifies()
    {
        await using var host = await SentinelTestHost.StartAsync(o => o.Audit.Retention = TimeSpan.FromDays(1));
        await host.RegisterAsync();
        var oldEvents = await host.AuditAsync();

        host.Time.Advance(TimeSpan.FromDays(2)); // the hosted service's maintenance runs every 5 minutes of the host's clock
        var (_, admin) = await host.SignUpWithRoleAsync("admin");
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        patience.CancelAfter(TimeSpan.FromSeconds(30));
        while ((await host.AuditAsync()).Any(e => e.Timestamp < host.Time.GetUtcNow() - TimeSpan.FromDays(1)))
        {
            await Task.Delay(20, patience.Token);
        }

        var kept = await host.AuditAsync();
        kept.Should().NotContain(e => oldEvents.Select(o => o.Id).Contains(e.Id));
        kept.Should().Contain(e => e.Type == AuditEventTypes.LoginSucceeded && e.Timestamp == SentinelTestHost.Start.AddDays(2));
        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            (await scope.ServiceProvider.GetRequiredService<IAuditStore>().GetAnchorAsync(Ct))!.Sequence.Should().Be(oldEvents[^1].Sequence, "the anchor keeps the last pruned hash");
        }

        var response = await host.GetAsync("/auth/audit/verify", admin.AccessToken);
        var verify = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        verify.GetProperty("valid").GetBoolean().Should().BeTrue("the chain verifies from its anchor");
        verify.GetProperty("checked").GetInt64().Should().Be(kept.Count);
    }

    [Fact]
    public async Task RetentionOff_KeepsEveryEvent()
    {
        await using var host = await SentinelTestHost.StartAsync(o => o.Audit.Retention = null);
        await host.RegisterAsync();
        var events = await host.AuditAsync();
        host.Time.Advance(TimeSpan.FromDays(3650));

        await using var scope = host.App.Services.CreateAsyncScope();
        (await scope.ServiceProvider.GetRequiredService<AuditService>().PruneAsync(Ct)).Should().Be(0);
        (await host.AuditAsync()).Select(e => e.Id).Should().StartWith(events.Select(e => e.Id), "ten years on, nothing was pruned");
    }

    [Fact]
    public async Task Verify_WithoutAToken_Is401()
    {
        var response = await _host.GetAsync("/auth/audit/verify", null);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Should().Contain(h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task EventsQueuedWhenTheHostStops_AreWrittenBeforeItExits()
    {
        // SECURITY A4 on a real host: the store is held back, requests queue events, the host stops, they are stored.
        var gate = new HeldBackAuditStore();
        await using var host = await SentinelTestHost.StartAsync(services: s => s.AddScoped<IAuditStore>(sp => gate.Wrap(
            ActivatorUtilities.CreateInstance<Sentinel.EntityFramework.Audit.EntityFrameworkAuditStore<SentinelSqliteDbContext>>(sp))));
        gate.Hold();
        for (var i = 0; i < 5; i++)
        {
            await host.RegisterAsync();
        }

        host.Service<IAuditLog>().As<AuditWriter>().QueueDepth.Should().BeGreaterThanOrEqualTo(5, "nothing could be written yet");
        var stopping = host.App.StopAsync(Ct);
        gate.Release();
        await stopping;

        // Read the file directly, without waiting on the writer: stopping the host must already have written them.
        host.Service<IAuditLog>().As<AuditWriter>().QueueDepth.Should().Be(0);
        await using var scope = host.App.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<IAuditStore>().ReadChainAsync(0, 100, Ct);
        stored.Count(e => e.Type == AuditEventTypes.UserRegistered).Should().Be(5);
    }

    /// <summary>Holds appends back until released, in front of the real EF store.</summary>
    private sealed class HeldBackAuditStore
    {
        private TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HeldBackAuditStore() => _open.SetResult();

        public void Hold() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _open.TrySetResult();

        public IAuditStore Wrap(IAuditStore inner) => new Store(inner, this);

        private sealed class Store(IAuditStore inner, HeldBackAuditStore gate) : IAuditStore
        {
            public ValueTask<AuditChainHead> GetHeadAsync(CancellationToken cancellationToken) => inner.GetHeadAsync(cancellationToken);

            public async ValueTask AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
            {
                await gate._open.Task.WaitAsync(cancellationToken);
                await inner.AppendAsync(entries, cancellationToken);
            }

            public ValueTask<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);

            public ValueTask<IReadOnlyList<AuditEntry>> ReadChainAsync(long afterSequence, int count, CancellationToken cancellationToken) => inner.ReadChainAsync(afterSequence, count, cancellationToken);

            public ValueTask<AuditAnchor?> GetAnchorAsync(CancellationToken cancellationToken) => inner.GetAnchorAsync(cancellationToken);

            public ValueTask<int> PruneAsync(long throughSequence, AuditAnchor anchor, CancellationToken cancellationToken) => inner.PruneAsync(throughSequence, anchor, cancellationToken);

            public ValueTask<AuditEntry?> FindNewestBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) => inner.FindNewestBeforeAsync(before, cancellationToken);
        }
    }
}
