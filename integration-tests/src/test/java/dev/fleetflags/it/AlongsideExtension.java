package dev.fleetflags.it;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;

/**
 * A test extension beside FleetFlags on an embedded broker ({@link EmbeddedBroker#startAlongside}):
 * while it runs, the test uses HiveMQ's extension services ({@code Services.*}, such as the
 * retained message store or the subscription store) as any other extension on the broker would.
 */
public final class AlongsideExtension implements ExtensionMain {

  static EmbeddedExtension embedded() {
    return EmbeddedExtension.builder()
        .withId("it-alongside")
        .withName("it-alongside")
        .withVersion("1")
        .withExtensionMain(new AlongsideExtension())
        .build();
  }

  @Override
  public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {}

  @Override
  public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {}
}
