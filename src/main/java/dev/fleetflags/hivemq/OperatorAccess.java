package dev.fleetflags.hivemq;

import dev.fleetflags.admin.PasswordHash;
import dev.fleetflags.delivery.LogLimit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * How operators get in: their sign-ins (passwords checked on a thread of their own, certificates by
 * common name), the authenticator that tells them from devices, and the sessions they are forced
 * into. Owns the password checker's threads.
 */
final class OperatorAccess implements AutoCloseable {

  /**
   * Password checks wait at most this many others (~0.14 s each at 600,000 iterations), well
   * within their deadline; past that, sign-ins are answered "busy" at once.
   */
  private static final int SIGN_IN_QUEUE = 16;

  private final ExecutorService verifier;
  private final ScheduledThreadPoolExecutor deadlines;
  private final OperatorAuthenticator authenticator;
  private final OperatorSessions sessions;

  OperatorAccess(FleetFlagsConfig config, OperatorConnections connections, BrokerMetrics metrics) {
    Map<String, PasswordHash> passwords = new HashMap<>();
    Set<String> commonNames = new HashSet<>();
    for (Operator operator : config.operators()) {
      if (operator instanceof Operator.WithPassword p) {
        passwords.put(p.username(), p.passwordHash());
      } else if (operator instanceof Operator.WithCertificate c) {
        commonNames.add(c.commonName());
      }
    }
    verifier = ExtensionThreads.singleThread("fleetflags-operator-sign-in", SIGN_IN_QUEUE);
    deadlines = new ScheduledThreadPoolExecutor(1, ExtensionThreads.daemon("fleetflags-sign-in-deadlines"));
    deadlines.setRemoveOnCancelPolicy(true);
    // On stop the verifier answers what it still holds; the timers need not hold the stop up.
    deadlines.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    OperatorSignIns.Timer timer = (delay, task) -> {
      ScheduledFuture<?> scheduled = deadlines.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
      return () -> scheduled.cancel(false);
    };
    OperatorSignIns signIns = new OperatorSignIns(passwords, new SignInGuard(SignInGuard.Settings.DEFAULT, System::nanoTime),
        new RememberedSignIns(), verifier, timer, System::nanoTime, metrics, LogLimit.perMinute());
    metrics.watchSignIns(signIns::pending);
    authenticator = new OperatorAuthenticator(signIns, commonNames, config.deviceAuthentication());
    sessions = new OperatorSessions(passwords.keySet(), commonNames, connections);
  }

  OperatorAuthenticator authenticator() {
    return authenticator;
  }

  OperatorSessions sessions() {
    return sessions;
  }

  @Override
  public void close() {
    ExtensionThreads.shutdown(verifier);
    ExtensionThreads.shutdown(deadlines);
  }
}
