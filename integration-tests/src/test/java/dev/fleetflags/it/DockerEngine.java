package dev.fleetflags.it;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Runs container tests only where a Docker engine answers. Otherwise they are skipped with the
 * reason in the test report, and once on the console so a build log shows why.
 */
final class DockerEngine implements ExecutionCondition {

  private static final AtomicBoolean told = new AtomicBoolean();

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (DockerClientFactory.instance().isDockerAvailable()) {
      return ConditionEvaluationResult.enabled("a Docker engine is available");
    }
    String reason =
        "No Docker engine available (Testcontainers found none): skipping the scenarios on the"
            + " official image "
            + ContainerBroker.IMAGE
            + "; the same scenarios run on the"
            + " embedded broker.";
    if (told.compareAndSet(false, true)) {
      System.out.println("[WARNING] " + reason);
    }
    return ConditionEvaluationResult.disabled(reason);
  }
}
