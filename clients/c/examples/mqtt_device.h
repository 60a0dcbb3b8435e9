/*
 * A FleetFlags device on libmosquitto: the calls a device makes into the FleetFlags library at
 * boot (restore the saved state), on connect (present its state hash), on each message (apply,
 * save, ack or resync) -- the README's "Device protocol" over one MQTT connection. Used by the
 * example device (device.c) and the integration tests' fleet (test/fleet.c).
 */
#ifndef FLEETFLAGS_MQTT_DEVICE_H
#define FLEETFLAGS_MQTT_DEVICE_H

#include <stdbool.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "fleetflags.h"

/* Flags a device can hold, and MQTT 5 CONNECT user properties it states. */
#define MQTT_DEVICE_FLAGS 64
#define MQTT_DEVICE_PROPERTIES 8

typedef struct mqtt_device_config {
  const char *host;
  int port;
  const char *client_id;
  /* 5 (MQTT 5: the state hash in the CONNECT user property) or 3 (MQTT 3.1.1: published to the
   * resync topic before subscribing). */
  int mqtt_version;
  /* The broker's device-topic setting; NULL for FF_DEFAULT_FLAG_TOPIC. */
  const char *topic_template;
  /* Where the state is saved after each update and restored from at boot; NULL: nowhere. */
  const char *state_file;
  /* MQTT 5 CONNECT user properties: targeting attributes, if on the broker's allow-list. */
  const char *property_names[MQTT_DEVICE_PROPERTIES];
  const char *property_values[MQTT_DEVICE_PROPERTIES];
  int property_count;
  /* Whether it acks each update it applies (APPLIED, on the ack topic, QoS 1). */
  bool acks;
} mqtt_device_config;

struct mqtt_device;

/* What the application hears: each update applied (or refused) and each connection step. */
typedef struct mqtt_device_events {
  void (*updated)(struct mqtt_device *device, ff_status status, void *context);
  void (*subscribed)(struct mqtt_device *device, void *context);
  void (*problem)(struct mqtt_device *device, const char *what, void *context);
  void *context;
} mqtt_device_events;

typedef struct mqtt_device {
  mqtt_device_config config;
  mqtt_device_events events;
  struct mosquitto *mosq;
  ff_state flags;
  ff_flag slots[MQTT_DEVICE_FLAGS];
  char flag_topic[256];
  char resync_topic[264];
  char ack_topic[264];
  int presented_mid; /* MQTT 3.1.1: the publish of the state hash, subscribed after its PUBACK */
  bool connected;
  unsigned long updates; /* applied (FF_OK, FF_RESYNC, FF_MISMATCH) */
  unsigned long resyncs; /* resyncs asked for */
  unsigned long refused; /* payloads refused */
  unsigned long acked;   /* acks published */
  uint64_t acked_revision; /* the revision of the last one */
  ff_status restored;    /* what restoring the saved state gave at boot */
} mqtt_device;

/*
 * Boots a device: its flags from the saved state (if the file exists and is whole; otherwise it
 * starts empty and gets a snapshot), and a libmosquitto client. Not connected yet. 0 or -1.
 * `config`'s strings must outlive the device.
 */
int mqtt_device_boot(mqtt_device *device, const mqtt_device_config *config,
                     const mqtt_device_events *events);

/* Connects (again), presenting the state hash of what it holds. 0, or a MOSQ_ERR_ code. */
int mqtt_device_connect(mqtt_device *device);

/*
 * Acks the update it holds as FAILED: it applied it, and then something broke (why: `reason`, at
 * most FF_ACK_MAX_REASON_LEN bytes of UTF-8). 0, or a MOSQ_ERR_ code; -1 if it holds nothing or
 * the reason is refused.
 */
int mqtt_device_ack_failed(mqtt_device *device, const char *reason);

/* Closes the connection and frees the client; the saved state stays. */
void mqtt_device_shut_down(mqtt_device *device);

#endif
