package dev.fleetflags.store;

import org.rocksdb.InfoLogLevel;
import org.rocksdb.Logger;
import org.slf4j.LoggerFactory;

/**
 * RocksDB's own info log, sent to the broker's log instead of a LOG file in the data folder: a
 * failed open then creates or rotates no file, and RocksDB's warnings appear where on-call looks.
 * Only warnings and worse are passed on; RocksDB's informational output is very chatty.
 */
final class RocksDbLog extends Logger {

  private static final org.slf4j.Logger log = LoggerFactory.getLogger("dev.fleetflags.store.rocksdb");

  RocksDbLog() {
    super(InfoLogLevel.WARN_LEVEL);
  }

  @Override
  protected void log(InfoLogLevel level, String message) {
    switch (level) {
      case FATAL_LEVEL, ERROR_LEVEL -> log.error("RocksDB: {}", message);
      case WARN_LEVEL -> log.warn("RocksDB: {}", message);
      case INFO_LEVEL, HEADER_LEVEL -> log.info("RocksDB: {}", message);
      default -> log.debug("RocksDB: {}", message);
    }
  }
}
