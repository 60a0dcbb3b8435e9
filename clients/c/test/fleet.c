/*
 * Many FleetFlags devices in one process, each a libmosquitto client with the FleetFlags library
 * (examples/mqtt_device.c), in one thread around poll(): the integration tests' C fleet
 * (DeviceLibrariesTest). Commands on stdin, one per line:
 *
 *   add <id> <5|3> <state file> [name=value ...]   boot a device (restores its state file)
 *   connect <id>                                  connect and subscribe
 *   reconnect <id>                                drop the connection and connect again
 *   off <id>                                      switch off: connection and memory gone
 *   reboot <id>                                   lose everything but the state file, boot, connect
 *   fail <id> <reason>                            ack what it holds as FAILED (reason: one word)
 *   state <id>                                    print what it holds
 *   quit
 *
 * and on stdout, one per line, hex for keys and values (the tags and value bytes of
 * clients/testvectors/vectors.txt):
 *
 *   booted <id> <restore status> <state hash>
 *   subscribed <id>
 *   update <id> <status> <revision> <state hash>
 *   state <id> <holds 0|1> <revision> <state hash> <flags> <updates> <resyncs> <refused> <acks>
 *         <revision of the last ack>
 *   flag <id> <key hex> <tag> <value hex>         one per flag, after "state"
 *   end <id>
 *   problem <id> <text>
 *
 *   fleet <host> <port>
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mqtt_device.h"

enum { MAX_DEVICES = 512 };

typedef struct fleet_device {
  mqtt_device device;
  mqtt_device_config config;
  char id[128];
  char state_file[512];
  char names[MQTT_DEVICE_PROPERTIES][64];
  char values[MQTT_DEVICE_PROPERTIES][64];
  bool want_connection;
} fleet_device;

static fleet_device *devices[MAX_DEVICES];
static int device_count;
static const char *host;
static int port;

static const char TAGS[] = {'-', 'b', 'i', 'd', 's', 'j'};

static void print_hex(const char *bytes, size_t len) {
  size_t i;
  if (len == 0) {
    fputs("-", stdout);
  }
  for (i = 0; i < len; i++) {
    printf("%02x", (unsigned)(uint8_t)bytes[i]);
  }
}

static void updated(mqtt_device *d, ff_status status, void *context) {
  char hash[FF_HASH_TEXT_SIZE];
  (void)context;
  ff_hash_text(ff_state_hash(&d->flags), hash);
  printf("update %s %s %" PRIu64 " %s\n", d->config.client_id, ff_status_name(status),
         ff_revision(&d->flags), hash);
  if (status != FF_OK) {
    printf("problem %s %s\n", d->config.client_id, ff_reason(&d->flags));
  }
}

static void subscribed(mqtt_device *d, void *context) {
  (void)context;
  printf("subscribed %s\n", d->config.client_id);
}

static void problem(mqtt_device *d, const char *what, void *context) {
  (void)context;
  printf("problem %s %s\n", d->config.client_id, what);
}

static const mqtt_device_events EVENTS = {updated, subscribed, problem, NULL};

static fleet_device *find(const char *id) {
  int i;
  for (i = 0; i < device_count; i++) {
    if (strcmp(devices[i]->id, id) == 0) {
      return devices[i];
    }
  }
  printf("problem %s no such device\n", id);
  return NULL;
}

static void boot(fleet_device *f) {
  char hash[FF_HASH_TEXT_SIZE];
  if (mqtt_device_boot(&f->device, &f->config, &EVENTS) != 0) {
    printf("problem %s cannot boot\n", f->id);
    return;
  }
  ff_hash_text(ff_state_hash(&f->device.flags), hash);
  printf("booted %s %s %s\n", f->id, ff_status_name(f->device.restored), hash);
}

static void connect_device(fleet_device *f) {
  int rc = mqtt_device_connect(&f->device);
  f->want_connection = true;
  if (rc != MOSQ_ERR_SUCCESS) {
    printf("problem %s connect: %s\n", f->id, mosquitto_strerror(rc));
  }
}

static void add(char **word, int words) {
  fleet_device *f;
  int i;
  if (words < 4 || device_count == MAX_DEVICES) {
    printf("problem - bad add\n");
    return;
  }
  f = calloc(1, sizeof(*f));
  snprintf(f->id, sizeof(f->id), "%s", word[1]);
  snprintf(f->state_file, sizeof(f->state_file), "%s", word[3]);
  f->config.host = host;
  f->config.port = port;
  f->config.client_id = f->id;
  f->config.mqtt_version = atoi(word[2]) == 3 ? 3 : 5;
  f->config.state_file = f->state_file;
  f->config.acks = true;
  for (i = 4; i < words && f->config.property_count < MQTT_DEVICE_PROPERTIES; i++) {
    char *eq = strchr(word[i], '=');
    int n = f->config.property_count;
    if (eq == NULL) {
      continue;
    }
    *eq = 0;
    snprintf(f->names[n], sizeof(f->names[n]), "%s", word[i]);
    snprintf(f->values[n], sizeof(f->values[n]), "%s", eq + 1);
    f->config.property_names[n] = f->names[n];
    f->config.property_values[n] = f->values[n];
    f->config.property_count++;
  }
  devices[device_count++] = f;
  boot(f);
}

static void print_state(const fleet_device *f) {
  const ff_state *s = &f->device.flags;
  char hash[FF_HASH_TEXT_SIZE];
  size_t i;
  ff_hash_text(ff_state_hash(s), hash);
  printf("state %s %d %" PRIu64 " %s %zu %lu %lu %lu %lu %" PRIu64 "\n", f->id, ff_holds(s) ? 1 : 0,
         ff_revision(s), hash, ff_count(s), f->device.updates, f->device.resyncs, f->device.refused,
         f->device.acked, f->device.acked_revision);
  for (i = 0; i < ff_count(s); i++) {
    const ff_flag *flag = ff_flag_at(s, i);
    printf("flag %s ", f->id);
    print_hex(ff_flag_key(flag), ff_flag_key_len(flag));
    printf(" %c ", TAGS[ff_flag_type(flag)]);
    print_hex(flag->value, flag->value_len);
    printf("\n");
  }
  printf("end %s\n", f->id);
}

/* One command line; false to quit. */
static bool command(char *line) {
  char *word[4 + MQTT_DEVICE_PROPERTIES];
  int words = 0;
  char *p = strtok(line, " \r\n");
  fleet_device *f;
  while (p != NULL && words < (int)(sizeof(word) / sizeof(word[0]))) {
    word[words++] = p;
    p = strtok(NULL, " \r\n");
  }
  if (words == 0) {
    return true;
  }
  if (strcmp(word[0], "quit") == 0) {
    return false;
  }
  if (strcmp(word[0], "add") == 0) {
    add(word, words);
    return true;
  }
  if (words < 2 || (f = find(word[1])) == NULL) {
    return true;
  }
  if (strcmp(word[0], "connect") == 0 || strcmp(word[0], "reconnect") == 0) {
    /* Connecting again drops the old TCP connection at once, as a lost network would. */
    connect_device(f);
  } else if (strcmp(word[0], "off") == 0) {
    mqtt_device_shut_down(&f->device);
    f->want_connection = false;
  } else if (strcmp(word[0], "reboot") == 0) {
    mqtt_device_shut_down(&f->device);
    boot(f);
    connect_device(f);
  } else if (strcmp(word[0], "state") == 0) {
    print_state(f);
  } else if (strcmp(word[0], "fail") == 0 && words == 3) {
    if (mqtt_device_ack_failed(&f->device, word[2]) != 0) {
      printf("problem %s cannot ack FAILED\n", f->id);
    }
  } else {
    printf("problem %s unknown command %s\n", f->id, word[0]);
  }
  return true;
}

int main(int argc, char **argv) {
  static struct pollfd fds[MAX_DEVICES + 1];
  static int which[MAX_DEVICES + 1];
  static char line[4096];
  size_t line_len = 0;
  bool running = true;
  int i;
  if (argc != 3) {
    fprintf(stderr, "usage: %s <host> <port>\n", argv[0]);
    return 2;
  }
  host = argv[1];
  port = atoi(argv[2]);
  setvbuf(stdout, NULL, _IOLBF, 0);
  mosquitto_lib_init();
  while (running) {
    int n = 1;
    fds[0].fd = STDIN_FILENO;
    fds[0].events = POLLIN;
    for (i = 0; i < device_count; i++) {
      mqtt_device *d = &devices[i]->device;
      int fd = d->mosq != NULL ? mosquitto_socket(d->mosq) : -1;
      if (fd >= 0) {
        fds[n].fd = fd;
        fds[n].events = (short)(POLLIN | (mosquitto_want_write(d->mosq) ? POLLOUT : 0));
        fds[n].revents = 0;
        which[n++] = i;
      } else if (devices[i]->want_connection && d->mosq != NULL) {
        /* The connection dropped: a device connects again, presenting what it holds. */
        connect_device(devices[i]);
      }
    }
    if (poll(fds, (nfds_t)n, 100) < 0) {
      break;
    }
    for (i = 1; i < n; i++) {
      struct mosquitto *mosq = devices[which[i]]->device.mosq;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        mosquitto_loop_read(mosq, 1);
      }
      if (fds[i].revents & POLLOUT) {
        mosquitto_loop_write(mosq, 1);
      }
    }
    for (i = 0; i < device_count; i++) {
      if (devices[i]->device.mosq != NULL) {
        mosquitto_loop_misc(devices[i]->device.mosq);
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t got = read(STDIN_FILENO, line + line_len, sizeof(line) - 1 - line_len);
      char *nl;
      if (got <= 0) {
        break; /* stdin closed: the test is gone */
      }
      line_len += (size_t)got;
      line[line_len] = 0;
      while (running && (nl = strchr(line, '\n')) != NULL) {
        size_t taken = (size_t)(nl - line) + 1;
        *nl = 0;
        running = command(line);
        memmove(line, line + taken, line_len - taken + 1);
        line_len -= taken;
      }
      if (line_len == sizeof(line) - 1) {
        line_len = 0; /* a line longer than any command */
      }
    }
  }
  for (i = 0; i < device_count; i++) {
    mqtt_device_shut_down(&devices[i]->device);
    free(devices[i]);
  }
  mosquitto_lib_cleanup();
  return 0;
}
