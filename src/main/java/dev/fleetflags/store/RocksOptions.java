package dev.fleetflags.store;

import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;

/** The native option objects of one store; they must outlive the database and be closed after it. */
final class RocksOptions implements AutoCloseable {

  final RocksDbLog rocksLog = new RocksDbLog();
  final ColumnFamilyOptions columnFamily = new ColumnFamilyOptions().optimizeForSmallDb();
  final DBOptions db =
      new DBOptions()
          .optimizeForSmallDb()
          .setLogger(rocksLog)
          // Check everything RocksDB can check, and fail rather than skip what does not check out.
          .setParanoidChecks(true)
          // A kill in the middle of a write leaves at most an incomplete record at the end of the
          // WAL, and that write was never acknowledged: tolerate it. Damage anywhere else fails the
          // open instead of silently dropping acknowledged writes after it, which is what the
          // default (point-in-time recovery) would do.
          .setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords);
  /** Every write is on disk before it is acknowledged. */
  final WriteOptions synced = new WriteOptions().setSync(true);

  @Override
  public void close() {
    synced.close();
    db.close();
    columnFamily.close();
    rocksLog.close();
  }
}
