package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The start-up warning about the file-descriptor limit, for given limits. */
class FileDescriptorCheckTest {

  @Test
  void aLimitBelowTheExpectedDevicesAndHeadroomIsWarnedAboutWithTheFigures() {
    String warning = FileDescriptorCheck.warning(4096, 1262, 10_000).orElseThrow();
    assertTrue(warning.contains("may open 4,096 files"), warning);
    assertTrue(warning.contains("has 1,262 open"), warning);
    assertTrue(warning.contains("sized for 10,000 devices (<expected-devices>)"), warning);
    assertTrue(warning.contains("at least 12,000"), warning);
    assertTrue(warning.contains("LimitNOFILE") && warning.contains("--ulimit nofile") && warning.contains("ulimit -n"),
        warning);
    assertEquals(1, warning.lines().count(), "one log line");
  }

  @Test
  void aLimitThatHoldsThemIsNot() {
    assertEquals(Optional.empty(), FileDescriptorCheck.warning(12_000, 1262, 10_000));
    assertEquals(Optional.empty(), FileDescriptorCheck.warning(1_048_576, 1262, 1_000_000));
    assertTrue(FileDescriptorCheck.warning(11_999, 1262, 10_000).isPresent());
  }
}
