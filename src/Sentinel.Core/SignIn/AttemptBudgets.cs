namespace Sentinel.SignIn;

/// <summary>
/// Per account, the credential checks under way, so that parallel attempts get no more checks than sequential ones
/// (SECURITY M8) without making them take turns for the check itself (a password hash runs in parallel).
/// An attempt takes a turn only to read the account's counters afresh and reserve one check: it may start while
/// <c>failures so far + checks under way</c> is below what the lockout (and any other limit) leaves, and otherwise
/// waits for a check under way to end, then reads again. An entry lives only while an attempt holds or waits for it.
/// </summary>
internal sealed class AttemptBudgets
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Accounts with an attempt under way or waiting (none once every attempt has ended).</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Reserves one check on <paramref name="key"/>. <paramref name="budget"/> runs in the account's turn, reads the
    /// counters afresh and says how many checks the account may still have (0 or less: refuse now, with the
    /// <c>Refusal</c> it returns). Returns the reservation, or null with the refusal.
    /// </summary>
    public async Task<(Reservation? Reservation, T Refusal)> ReserveAsync<T>(
        string key, Func<CancellationToken, ValueTask<(int Left, T Refusal)>> budget, CancellationToken cancellationToken)
    {
        var entry = Enter(key);
        var reserved = false;
        try
        {
            while (true)
            {
                Task? changed;
                await entry.Turn.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    long ended;
                    lock (entry)
                    {
                        ended = entry.Ended;
                    }

                    var (left, refusal) = await budget(cancellationToken).ConfigureAwait(false);
                    if (left <= 0)
                    {
                        return (null, refusal);
                    }

                    lock (entry)
                    {
                        if (entry.Ended != ended)
                        {
                            // A check ended while the counters were read: what was read may predate its outcome.
                            changed = null;
                        }
                        else if (entry.UnderWay < left)
                        {
                            entry.UnderWay++;
                            reserved = true;
                            return (new Reservation(this, key, entry), refusal);
                        }
                        else
                        {
                            changed = entry.Changed.Task; // full: wait until a check under way ends
                        }
                    }
                }
                finally
                {
                    entry.Turn.Release();
                }

                if (changed is not null)
                {
                    await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (!reserved)
            {
                Leave(key, entry);
            }
        }
    }

    private Entry Enter(string key)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry();
                _entries[key] = entry;
            }

            entry.Users++;
            return entry;
        }
    }

    private void Leave(string key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Turn.Dispose();
            }
        }
    }

    internal sealed class Entry
    {
        public SemaphoreSlim Turn { get; } = new(1, 1);

        public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int UnderWay; // reserved checks not yet ended; guarded by the entry's lock

        public long Ended; // checks ended so far; guarded by the entry's lock

        public int Users; // attempts holding or waiting for the entry; guarded by the dictionary's lock
    }

    /// <summary>One reserved check. Dispose it once its outcome is written: waiting attempts then read again.</summary>
    public sealed class Reservation : IDisposable
    {
        private readonly AttemptBudgets _owner;
        private readonly string _key;
        private readonly Entry _entry;
        private int _ended;

        internal Reservation(AttemptBudgets owner, string key, Entry entry) => (_owner, _key, _entry) = (owner, key, entry);

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0)
            {
                return;
            }

            TaskCompletionSource ended;
            lock (_entry)
            {
                _entry.UnderWay--;
                _entry.Ended++;
                ended = _entry.Changed;
                _entry.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            ended.TrySetResult();
            _owner.Leave(_key, _entry);
        }
    }
}
