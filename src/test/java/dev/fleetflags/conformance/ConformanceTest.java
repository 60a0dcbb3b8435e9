package dev.fleetflags.conformance;

import io.cucumber.core.options.CommandlineOptionsParser;
import io.cucumber.core.options.RuntimeOptions;
import io.cucumber.core.runtime.Runtime;
import io.cucumber.plugin.ConcurrentEventListener;
import io.cucumber.plugin.event.EventPublisher;
import io.cucumber.plugin.event.PickleStepTestStep;
import io.cucumber.plugin.event.Result;
import io.cucumber.plugin.event.Status;
import io.cucumber.plugin.event.TestCase;
import io.cucumber.plugin.event.TestCaseFinished;
import io.cucumber.plugin.event.TestStepFinished;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * Runs the flagd evaluator conformance suite (Cucumber features of the flagd test bed) against
 * FleetFlags' engine and reports every scenario as its own test, grouped by feature file.
 *
 * <p>Cucumber runs first, here, with {@link EvaluatorSteps} as glue; each scenario's outcome then
 * becomes a dynamic test that passes, fails with the scenario's error and step, or is skipped
 * ({@code @fractional-v1}, the legacy bucketing). A scenario with an undefined, pending or
 * ambiguous step fails. The folder comes from {@code -Dfleetflags.conformance.dir}; without it the
 * suite is skipped with a message.
 */
class ConformanceTest {

  @TestFactory
  Stream<DynamicNode> flagdEvaluatorConformance() {
    Path dir = SharedData.conformanceDir();
    Path features = dir.resolve("gherkin");
    String absence = SharedData.absence(SharedData.CONFORMANCE_PROPERTY, features, SharedData.conformanceFlags());
    if (absence != null) {
      // One skipped test rather than an aborted factory, which surefire would not count or explain.
      System.err.println("SKIPPED: " + absence);
      return Stream.of(DynamicTest.dynamicTest("flagd evaluator conformance suite", () -> {
        throw new TestAbortedException(absence);
      }));
    }

    Outcomes outcomes = new Outcomes();
    ByteArrayOutputStream parserOutput = new ByteArrayOutputStream();
    RuntimeOptions options =
        new CommandlineOptionsParser(parserOutput)
            .parse("--glue", EvaluatorSteps.class.getPackageName(), "--monochrome", features.toString())
            .build();
    Runtime runtime =
        Runtime.builder()
            .withRuntimeOptions(options)
            .withClassLoader(ConformanceTest.class::getClassLoader)
            .withAdditionalPlugins(outcomes)
            .build();
    runtime.run();
    if (outcomes.finished.isEmpty()) {
      throw new AssertionFailedError(
          "Cucumber ran no scenario from " + features + ": " + parserOutput.toString(StandardCharsets.UTF_8));
    }
    System.out.println(outcomes.summary(features));

    Map<URI, List<DynamicNode>> byFeature = new TreeMap<>();
    for (Scenario s : outcomes.finished) {
      byFeature.computeIfAbsent(s.testCase().getUri(), u -> new ArrayList<>()).add(s.asTest());
    }
    return byFeature.entrySet().stream()
        .map(e -> DynamicContainer.dynamicContainer(fileName(e.getKey()), e.getValue().stream()));
  }

  private static String fileName(URI uri) {
    String path = uri.getPath();
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** One finished scenario: its outcome and the step that decided it, if one did. */
  private record Scenario(TestCase testCase, Result result, @Nullable String step) {

    DynamicTest asTest() {
      String name = testCase.getName() + " " + exampleRow() + "(" + where() + ")";
      // No test source URI: surefire's -Dtest filter would drop dynamic tests that have one.
      return DynamicTest.dynamicTest(name, this::verify);
    }

    private void verify() {
      Status status = result.getStatus();
      Throwable error = result.getError();
      if (status == Status.PASSED) {
        return;
      }
      if (status == Status.SKIPPED && error instanceof TestAbortedException aborted) {
        throw aborted;
      }
      String where = step == null ? "" : " at step \"" + step + "\"";
      throw new AssertionFailedError(
          where() + " " + testCase.getName() + ": " + status + where + (error == null ? "" : ": " + error.getMessage()),
          error);
    }

    private String where() {
      return fileName(testCase.getUri()) + ":" + testCase.getLocation().getLine();
    }

    /** The Examples row of an outline's scenario as written, so each row is recognizable in the report. */
    private String exampleRow() {
      try {
        List<String> lines = Files.readAllLines(Path.of(testCase.getUri()), StandardCharsets.UTF_8);
        String line = lines.get(testCase.getLocation().getLine() - 1).strip();
        return line.startsWith("|") ? line.replaceAll("\\s+", " ") + " " : "";
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Collects every scenario's outcome and the first step that did not pass. */
  private static final class Outcomes implements ConcurrentEventListener {

    final List<Scenario> finished = new ArrayList<>();
    private final Map<UUID, String> decidingStep = new HashMap<>();

    @Override
    public void setEventPublisher(EventPublisher publisher) {
      publisher.registerHandlerFor(TestStepFinished.class, this::stepFinished);
      publisher.registerHandlerFor(TestCaseFinished.class, this::caseFinished);
    }

    private synchronized void stepFinished(TestStepFinished event) {
      if (event.getResult().getStatus() != Status.PASSED && event.getTestStep() instanceof PickleStepTestStep step) {
        decidingStep.putIfAbsent(event.getTestCase().getId(), step.getStep().getKeyword() + step.getStep().getText());
      }
    }

    private synchronized void caseFinished(TestCaseFinished event) {
      TestCase testCase = event.getTestCase();
      finished.add(new Scenario(testCase, event.getResult(), decidingStep.get(testCase.getId())));
    }

    synchronized String summary(Path features) {
      Map<Status, Integer> counts = new EnumMap<>(Status.class);
      for (Scenario s : finished) {
        counts.merge(s.result().getStatus(), 1, Integer::sum);
      }
      return "flagd evaluator conformance (" + features + "): " + finished.size() + " scenarios, " + counts;
    }
  }
}
