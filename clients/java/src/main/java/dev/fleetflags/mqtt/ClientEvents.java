package dev.fleetflags.mqtt;

import com.hivemq.client.mqtt.lifecycle.MqttClientConnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttClientConnectedListener;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedListener;
import org.jspecify.annotations.Nullable;

/**
 * The connection events of an MQTT client, for the link that uses it. The HiveMQ MQTT client takes
 * its listeners when it is built, so an application that gives the provider its own client adds
 * one of these to its client builder ({@code addConnectedListener(events)} and {@code
 * addDisconnectedListener(events)}) and passes the same object with the client.
 */
public final class ClientEvents implements MqttClientConnectedListener, MqttClientDisconnectedListener {

  private volatile @Nullable MqttLink link;

  void attach(MqttLink link) {
    if (this.link != null && this.link != link) {
      throw new IllegalStateException("these client events already serve another link");
    }
    this.link = link;
  }

  void detach(MqttLink link) {
    if (this.link == link) {
      this.link = null;
    }
  }

  @Override
  public void onConnected(MqttClientConnectedContext context) {
    MqttLink l = link;
    if (l != null) {
      l.up();
    }
  }

  @Override
  public void onDisconnected(MqttClientDisconnectedContext context) {
    MqttLink l = link;
    if (l != null) {
      l.down(context.getCause());
    }
  }
}
