package dev.fleetflags.hivemq;

import dev.fleetflags.admin.PasswordHash;

/** Someone allowed to use the admin topics, as configured under {@code <operators>}. */
public sealed interface Operator {

  /** Signs in with MQTT username and password; only the password's hash is configured. */
  record WithPassword(String username, PasswordHash passwordHash) implements Operator {}

  /** Signs in with a TLS client certificate whose subject common name is this. */
  record WithCertificate(String commonName) implements Operator {}
}
