/*
 * A complete FleetFlags device on libmosquitto (clients/README.md):
 *
 *   device -i dev-1 [-h localhost] [-p 1883] [-V 5|311] [-s dev-1.state]
 *          [-t 'flags/{clientId}'] [-a model=th-100 ...]
 *
 * At boot it restores its flags from the state file (it works offline from them), connects
 * presenting their state hash (MQTT 5 CONNECT user property, or MQTT 3.1.1 publish to the resync
 * topic), subscribes to its flag topic, applies every update, saves the state after each, acks it
 * (APPLIED, on its ack topic) or asks for a resync when the hash does not match, reconnects when
 * the connection drops, and prints its flags. Ctrl-C ends it.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqtt_device.h"

static volatile sig_atomic_t running = 1;

static void stop(int signal) {
  (void)signal;
  running = 0;
}

static void print_flag(const ff_flag *f) {
  size_t len;
  printf("  %s = ", ff_flag_key(f));
  switch (ff_flag_type(f)) {
    case FF_BOOL:
      printf("%s\n", ff_flag_bool(f) ? "true" : "false");
      break;
    case FF_INT:
      printf("%" PRId64 "\n", ff_flag_int(f));
      break;
    case FF_DOUBLE:
      printf("%.17g\n", ff_flag_double(f));
      break;
    case FF_STRING:
      printf("\"%s\"\n", ff_flag_text(f, &len));
      break;
    default:
      printf("%s\n", ff_flag_text(f, &len));
  }
}

static void print_flags(const ff_state *flags) {
  char hash[FF_HASH_TEXT_SIZE];
  size_t i;
  ff_hash_text(ff_state_hash(flags), hash);
  printf("%zu flags at revision %" PRIu64 ", state hash %s\n", ff_count(flags), ff_revision(flags), hash);
  for (i = 0; i < ff_count(flags); i++) {
    print_flag(ff_flag_at(flags, i));
  }
  fflush(stdout);
}

/* Told of each key an update adds, changes or removes: where a device would act on a flag. */
static void on_change(void *context, ff_change change, const ff_flag *flag) {
  (void)context;
  printf("%s %s\n", change == FF_ADDED ? "+" : change == FF_CHANGED ? "~" : "-", ff_flag_key(flag));
}

static void updated(mqtt_device *d, ff_status status, void *context) {
  (void)context;
  if (status == FF_OK) {
    print_flags(&d->flags);
    printf("acked revision %" PRIu64 " as APPLIED\n", d->acked_revision);
  } else {
    printf("%s: %s\n", ff_status_name(status), ff_reason(&d->flags));
    if (status == FF_RESYNC || status == FF_MISMATCH) {
      print_flags(&d->flags);
    }
  }
  fflush(stdout);
}

static void subscribed(mqtt_device *d, void *context) {
  *(int *)context = 0; /* connected well: after a drop, it reconnects at once */
  printf("subscribed to %s\n", d->flag_topic);
  fflush(stdout);
}

static void problem(mqtt_device *d, const char *what, void *context) {
  (void)context;
  fprintf(stderr, "%s: %s\n", d->config.client_id, what);
}

static void usage(const char *program) {
  fprintf(stderr,
          "usage: %s -i client-id [-h host] [-p port] [-V 5|311] [-s state-file]\n"
          "          [-t topic-template] [-a name=value ...]\n",
          program);
  exit(2);
}

static void pause_seconds(int seconds) {
  struct timespec t;
  t.tv_sec = seconds;
  t.tv_nsec = 0;
  nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
  static mqtt_device device;
  mqtt_device_config config;
  int i, backoff = 0; /* seconds before the next connect */
  mqtt_device_events events = {updated, subscribed, problem, NULL};
  events.context = &backoff;

  memset(&config, 0, sizeof(config));
  config.host = "localhost";
  config.port = 1883;
  config.mqtt_version = 5;
  config.acks = true;
  for (i = 1; i + 1 < argc; i += 2) {
    const char *value = argv[i + 1];
    if (strcmp(argv[i], "-i") == 0) {
      config.client_id = value;
    } else if (strcmp(argv[i], "-h") == 0) {
      config.host = value;
    } else if (strcmp(argv[i], "-p") == 0) {
      config.port = atoi(value);
    } else if (strcmp(argv[i], "-V") == 0) {
      config.mqtt_version = strcmp(value, "311") == 0 ? 3 : 5;
    } else if (strcmp(argv[i], "-s") == 0) {
      config.state_file = value;
    } else if (strcmp(argv[i], "-t") == 0) {
      config.topic_template = value;
    } else if (strcmp(argv[i], "-a") == 0 && strchr(value, '=') != NULL &&
               config.property_count < MQTT_DEVICE_PROPERTIES) {
      char *eq = strchr(argv[i + 1], '=');
      *eq = 0;
      config.property_names[config.property_count] = argv[i + 1];
      config.property_values[config.property_count++] = eq + 1;
    } else {
      usage(argv[0]);
    }
  }
  if (i != argc || config.client_id == NULL) {
    usage(argv[0]);
  }
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  mosquitto_lib_init();

  if (mqtt_device_boot(&device, &config, &events) != 0) {
    fprintf(stderr, "cannot start the device\n");
    return 1;
  }
  /* Offline, it already has what it saved before. */
  printf("booted from %s: ", config.state_file != NULL ? config.state_file : "nothing");
  print_flags(&device.flags);
  ff_on_change(&device.flags, on_change, NULL);

  while (running) {
    if (mosquitto_socket(device.mosq) >= 0 && mosquitto_loop(device.mosq, 1000, 1) == MOSQ_ERR_SUCCESS) {
      continue;
    }
    /* Not connected (yet, or any more): connect again, presenting what it holds now. */
    if (backoff > 0 && running) {
      pause_seconds(backoff);
    }
    backoff = backoff == 0 ? 1 : backoff < 30 ? backoff * 2 : 30;
    if (running && mqtt_device_connect(&device) != MOSQ_ERR_SUCCESS) {
      fprintf(stderr, "cannot connect to %s:%d, again in %d s\n", config.host, config.port, backoff);
    }
  }
  mosquitto_disconnect(device.mosq);
  mqtt_device_shut_down(&device);
  mosquitto_lib_cleanup();
  return 0;
}
