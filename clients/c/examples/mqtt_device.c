#define _POSIX_C_SOURCE 200809L

#include "mqtt_device.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One save buffer for the process: devices save one at a time (libmosquitto's callbacks). */
static uint8_t saved[FF_SAVE_SIZE(MQTT_DEVICE_FLAGS)];

static void problem(mqtt_device *d, const char *what) {
  if (d->events.problem != NULL) {
    d->events.problem(d, what, d->events.context);
  }
}

/* --- the saved state ------------------------------------------------------------------------ */

static void restore(mqtt_device *d) {
  FILE *in;
  size_t len;
  d->restored = FF_OK;
  if (d->config.state_file == NULL || (in = fopen(d->config.state_file, "rb")) == NULL) {
    return; /* nothing saved: a snapshot will come */
  }
  len = fread(saved, 1, sizeof(saved), in);
  fclose(in);
  d->restored = ff_restore(&d->flags, saved, len);
  if (d->restored != FF_OK) {
    problem(d, ff_reason(&d->flags));
    ff_init(&d->flags, d->slots, MQTT_DEVICE_FLAGS); /* start empty rather than from doubt */
  }
}

/* Written to a new file and renamed over the old one: a reboot finds the old state or the new. */
static void save(mqtt_device *d) {
  char tmp[512];
  size_t len;
  FILE *out;
  bool ok;
  if (d->config.state_file == NULL) {
    return;
  }
  if (ff_save(&d->flags, saved, sizeof(saved), &len) != FF_OK) {
    problem(d, "cannot save: the state does not fit the buffer");
    return;
  }
  snprintf(tmp, sizeof(tmp), "%s.new", d->config.state_file);
  out = fopen(tmp, "wb");
  if (out == NULL) {
    problem(d, "cannot write the state file");
    return;
  }
  ok = fwrite(saved, 1, len, out) == len && fflush(out) == 0 && fsync(fileno(out)) == 0;
  ok = fclose(out) == 0 && ok;
  if (!ok || rename(tmp, d->config.state_file) != 0) {
    problem(d, "cannot write the state file");
  }
}

/* --- acks -------------------------------------------------------------------------------- */

static int publish_ack(mqtt_device *d, const uint8_t *ack, size_t len) {
  int rc = mosquitto_publish_v5(d->mosq, NULL, d->ack_topic, (int)len, ack, 1, false, NULL);
  if (rc != MOSQ_ERR_SUCCESS) {
    problem(d, mosquitto_strerror(rc));
    return rc;
  }
  d->acked++;
  d->acked_revision = ff_revision(&d->flags);
  return 0;
}

/* APPLIED: the update is applied and its hash checked (ff_apply() gave FF_OK). */
static void ack_applied(mqtt_device *d) {
  uint8_t ack[FF_ACK_APPLIED_SIZE];
  size_t len;
  if (d->config.acks && ff_ack_applied(&d->flags, ack, sizeof(ack), &len) == FF_OK) {
    publish_ack(d, ack, len);
  }
}

int mqtt_device_ack_failed(mqtt_device *d, const char *reason) {
  uint8_t ack[FF_ACK_APPLIED_SIZE + 3 + FF_ACK_MAX_REASON_LEN];
  size_t len;
  if (!ff_holds(&d->flags) ||
      ff_ack(ack, sizeof(ack), &len, ff_revision(&d->flags), ff_state_hash(&d->flags), FF_ACK_FAILED, NULL, 0,
             reason) != FF_OK) {
    return -1;
  }
  return publish_ack(d, ack, len);
}

/* --- libmosquitto callbacks ---------------------------------------------------------------- */

static void subscribe(mqtt_device *d) {
  int rc = mosquitto_subscribe_v5(d->mosq, NULL, d->flag_topic, 1, 0, NULL);
  if (rc != MOSQ_ERR_SUCCESS) {
    problem(d, mosquitto_strerror(rc));
  }
}

static void on_connect(struct mosquitto *mosq, void *context, int rc, int flags,
                       const mosquitto_property *props) {
  mqtt_device *d = (mqtt_device *)context;
  char hash[FF_HASH_TEXT_SIZE];
  (void)mosq;
  (void)flags;
  (void)props;
  if (rc != 0) {
    problem(d, mosquitto_connack_string(rc));
    return;
  }
  d->connected = true;
  d->presented_mid = -1;
  /* MQTT 3.1.1 has no CONNECT user properties: the hash goes to the resync topic first. */
  if (d->config.mqtt_version == 3 && ff_presented_state(&d->flags, hash)) {
    int rc2 = mosquitto_publish_v5(d->mosq, &d->presented_mid, d->resync_topic, (int)strlen(hash),
                                   hash, 1, false, NULL);
    if (rc2 != MOSQ_ERR_SUCCESS) {
      problem(d, mosquitto_strerror(rc2));
    }
    return; /* subscribed once the broker has it (on_publish) */
  }
  subscribe(d);
}

static void on_publish(struct mosquitto *mosq, void *context, int mid, int reason,
                       const mosquitto_property *props) {
  mqtt_device *d = (mqtt_device *)context;
  (void)mosq;
  (void)reason;
  (void)props;
  if (mid == d->presented_mid) {
    d->presented_mid = -1;
    subscribe(d);
  }
}

static void on_subscribe(struct mosquitto *mosq, void *context, int mid, int count,
                         const int *granted, const mosquitto_property *props) {
  mqtt_device *d = (mqtt_device *)context;
  (void)mosq;
  (void)mid;
  (void)props;
  if (count != 1 || granted[0] > 1) {
    problem(d, "the broker refused the subscription to the flag topic");
  } else if (d->events.subscribed != NULL) {
    d->events.subscribed(d, d->events.context);
  }
}

static void on_disconnect(struct mosquitto *mosq, void *context, int rc,
                          const mosquitto_property *props) {
  mqtt_device *d = (mqtt_device *)context;
  (void)mosq;
  (void)rc;
  (void)props;
  d->connected = false;
}

static void on_message(struct mosquitto *mosq, void *context, const struct mosquitto_message *m,
                       const mosquitto_property *props) {
  mqtt_device *d = (mqtt_device *)context;
  ff_status status;
  (void)mosq;
  (void)props;
  if (strcmp(m->topic, d->flag_topic) != 0) {
    return;
  }
  status = ff_apply(&d->flags, (const uint8_t *)m->payload, (size_t)m->payloadlen);
  switch (status) {
    case FF_OK:
      d->updates++;
      save(d);
      ack_applied(d);
      break;
    case FF_MISMATCH: /* applied; asking again would bring the same snapshot; no ack */
      d->updates++;
      save(d);
      break;
    case FF_RESYNC:
      d->updates++;
      d->resyncs++;
      save(d);
      /* An empty payload: the broker answers with a snapshot (acked, unlike this update). */
      mosquitto_publish_v5(d->mosq, NULL, d->resync_topic, 0, NULL, 1, false, NULL);
      break;
    default:
      /* Refused, nothing changed (ff_reason says why). A refused delta leaves the set behind
       * the broker's idea of it: the next update will not hash and brings a resync. */
      d->refused++;
      break;
  }
  if (d->events.updated != NULL) {
    d->events.updated(d, status, d->events.context);
  }
}

/* --- the device ------------------------------------------------------------------------------ */

int mqtt_device_boot(mqtt_device *d, const mqtt_device_config *config,
                     const mqtt_device_events *events) {
  const char *topic_template = config->topic_template != NULL ? config->topic_template : FF_DEFAULT_FLAG_TOPIC;
  memset(d, 0, sizeof(*d));
  d->config = *config;
  if (events != NULL) {
    d->events = *events;
  }
  if (ff_init(&d->flags, d->slots, MQTT_DEVICE_FLAGS) != FF_OK ||
      ff_flag_topic(d->flag_topic, sizeof(d->flag_topic), topic_template, config->client_id) == 0 ||
      ff_resync_topic(d->resync_topic, sizeof(d->resync_topic), d->flag_topic) == 0 ||
      ff_ack_topic(d->ack_topic, sizeof(d->ack_topic), d->flag_topic) == 0) {
    return -1;
  }
  restore(d);
  /* A clean session: the broker sends the set on every subscription. */
  d->mosq = mosquitto_new(config->client_id, true, d);
  if (d->mosq == NULL) {
    return -1;
  }
  mosquitto_int_option(d->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                       config->mqtt_version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  mosquitto_connect_v5_callback_set(d->mosq, on_connect);
  mosquitto_publish_v5_callback_set(d->mosq, on_publish);
  mosquitto_subscribe_v5_callback_set(d->mosq, on_subscribe);
  mosquitto_message_v5_callback_set(d->mosq, on_message);
  mosquitto_disconnect_v5_callback_set(d->mosq, on_disconnect);
  return 0;
}

int mqtt_device_connect(mqtt_device *d) {
  mosquitto_property *props = NULL;
  char hash[FF_HASH_TEXT_SIZE];
  int i, rc;
  d->connected = false;
  if (d->config.mqtt_version == 5) {
    for (i = 0; i < d->config.property_count; i++) {
      mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, d->config.property_names[i],
                                         d->config.property_values[i]);
    }
    /* What it holds now: at every connect, not only the first. */
    if (ff_presented_state(&d->flags, hash)) {
      mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, FF_STATE_PROPERTY, hash);
    }
  }
  rc = mosquitto_connect_bind_v5(d->mosq, d->config.host, d->config.port, 30, NULL, props);
  mosquitto_property_free_all(&props);
  return rc;
}

void mqtt_device_shut_down(mqtt_device *d) {
  if (d->mosq != NULL) {
    mosquitto_destroy(d->mosq);
    d->mosq = NULL;
  }
  d->connected = false;
}
