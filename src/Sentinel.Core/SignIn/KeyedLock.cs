namespace Sentinel.SignIn;

/// <summary>
/// One asynchronous lock per key, held only while someone uses it: the dictionary holds an entry only while a caller
/// holds or waits for it, so a flood of distinct keys leaves nothing behind.
/// </summary>
internal sealed class KeyedLock<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _entries = [];

    /// <summary>Waits for the key's lock; disposing the result releases it.</summary>
    public async ValueTask<Releaser> AcquireAsync(TKey key, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries[key] = entry;
            }

            entry.Users++;
        }

        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, entry);
            throw;
        }

        return new Releaser(this, key, entry);
    }

    /// <summary>How many keys have an entry now (for tests: none once every holder has left).</summary>
    internal int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    private void Leave(TKey key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Semaphore.Dispose();
            }
        }
    }

    internal sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users; // holders and waiters; guarded by the dictionary's lock
    }

    /// <summary>Releases the lock it was returned for, once: a holder may release early and dispose again later.</summary>
    public sealed class Releaser : IDisposable
    {
        private readonly KeyedLock<TKey> _owner;
        private readonly TKey _key;
        private readonly Entry _entry;
        private int _released;

        internal Releaser(KeyedLock<TKey> owner, TKey key, Entry entry) => (_owner, _key, _entry) = (owner, key, entry);

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _entry.Semaphore.Release();
                _owner.Leave(_key, _entry);
            }
        }
    }
}
