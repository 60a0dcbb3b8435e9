package dev.fleetflags.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Says in the build log why tests were skipped, one line per reason with the classes it skipped.
 * Surefire counts skipped tests but does not print why, and a class whose set-up found something
 * missing (no etcd binary, no promtool, no C compiler) is reported as "Tests run: 0": without this,
 * a machine without them passes silently. Registered for the JUnit Platform through
 * {@code META-INF/services}.
 */
public final class SkipReasons implements TestExecutionListener {

  private static final String ASSUMPTION = "Assumption failed: ";

  private final Map<String, Set<String>> classesByReason = new LinkedHashMap<>();

  @Override
  public void executionSkipped(TestIdentifier test, String reason) {
    record(test, reason);
  }

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
      record(test, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
    }
  }

  @Override
  public void testPlanExecutionFinished(TestPlan plan) {
    synchronized (classesByReason) {
      classesByReason.forEach((reason, classes) ->
          System.err.println("SKIPPED: " + String.join(", ", classes) + ": " + reason));
      classesByReason.clear();
    }
  }

  private void record(TestIdentifier test, String reason) {
    String why = reason == null || reason.isBlank() ? "(no reason given)" : reason;
    if (why.startsWith(ASSUMPTION)) {
      why = why.substring(ASSUMPTION.length());
    }
    String owner = owner(test.getSource()).orElse(test.getDisplayName());
    synchronized (classesByReason) {
      classesByReason.computeIfAbsent(why, r -> new TreeSet<>()).add(owner);
    }
  }

  private static Optional<String> owner(Optional<TestSource> source) {
    return source.map(s -> {
      if (s instanceof MethodSource m) {
        return simpleName(m.getClassName());
      }
      if (s instanceof ClassSource c) {
        return simpleName(c.getClassName());
      }
      return null;
    });
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }
}
