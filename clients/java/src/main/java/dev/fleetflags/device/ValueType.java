package dev.fleetflags.device;

/** How a flag's value travels (the {@code value} oneof of {@code fleetflags.v1.Flag}). */
public enum ValueType {
  /** {@code bool}: a Boolean. */
  BOOLEAN,
  /** {@code int} (sint64): a Long. */
  INTEGER,
  /** {@code double}: a Double. */
  DOUBLE,
  /** {@code string}: a String. */
  STRING,
  /** {@code json}: an object value as compact JSON text, held as the String of its UTF-8 bytes. */
  JSON
}
