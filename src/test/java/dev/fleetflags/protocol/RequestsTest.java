package dev.fleetflags.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every request read from JSON: what it holds, and every problem with its location. */
class RequestsTest {

  private static Map<String, Object> json(String text) {
    try {
      return Request.object(text.getBytes(StandardCharsets.UTF_8), Limits.DEFAULT);
    } catch (InvalidDocumentException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> locations(Read<?> read) {
    return read.problems().stream().map(Problem::location).toList();
  }

  @Test
  void payloadsThatAreNoObjectAreLocated() {
    for (String payload : List.of("", "[1]", "{\"a\": ", "\"x\"")) {
      InvalidDocumentException e = assertThrows(InvalidDocumentException.class,
          () -> Request.object(payload.getBytes(StandardCharsets.UTF_8), Limits.DEFAULT), payload);
      assertFalse(e.problems().isEmpty(), payload);
    }
    InvalidDocumentException malformed = assertThrows(InvalidDocumentException.class,
        () -> Request.object("{\n  \"a\": }".getBytes(StandardCharsets.UTF_8), Limits.DEFAULT));
    assertTrue(malformed.problems().get(0).location().startsWith("line 2, column"), malformed.problems().toString());
  }

  @Test
  void documentWritesTakeTheirOptionsOutOfTheDocument() {
    Read<DocumentWrite> read = DocumentWrite.read(false, json("{\"flags\": {}, \"expectedRevision\": 4, \"dryRun\": true}"));
    assertTrue(read.ok(), read.problems().toString());
    assertEquals(new DocumentWrite(false, Map.of("flags", Map.of()), 4L, true), read.request());
    assertEquals(Topics.APPLY, read.request().topic());
    assertEquals(Topics.REPLACE, DocumentWrite.read(true, json("{}")).request().topic());

    Read<DocumentWrite> bad = DocumentWrite.read(false, json("{\"flags\": {}, \"expectedRevision\": -1, \"dryRun\": \"yes\"}"));
    assertEquals(List.of("expectedRevision", "dryRun"), locations(bad));
    assertTrue(bad.problems().get(1).reason().contains("true or false"), bad.problems().toString());
  }

  @Test
  void deletesAreCheckedAgainstWhatExists() {
    Read<DeleteRequest> read = DeleteRequest.read(json("{\"flags\": [\"a\"], \"$evaluators\": [\"e\"], \"dryRun\": true}"),
        Set.of("a", "b"), Set.of("e"));
    assertTrue(read.ok(), read.problems().toString());
    assertEquals(new DeleteRequest(List.of("a"), List.of("e"), null, true), read.request());

    Read<DeleteRequest> bad = DeleteRequest.read(json("{\"flags\": [\"a\", 5, \"a\", \"zz\"], \"$evaluators\": \"e\", \"x\": 1}"),
        Set.of("a"), Set.of());
    assertEquals(List.of("x", "flags[1]", "flags[2]", "flags[3]", "$evaluators"), locations(bad));
    assertEquals("no flag \"zz\" exists", bad.problems().get(3).reason());
    assertEquals(List.of("flags"), locations(DeleteRequest.read(json("{}"), Set.of(), Set.of())));
  }

  @Test
  void registryWritesLocateEveryBadDeviceAndAttribute() {
    Read<AttributesWrite> read = AttributesWrite.read(json("{\"devices\": {\"d1\": {\"model\": \"x\", \"old\": null}, \"d2\": null}}"),
        Limits.DEFAULT);
    assertTrue(read.ok(), read.problems().toString());
    Map<String, Object> d1 = new LinkedHashMap<>();
    d1.put("model", "x");
    d1.put("old", null);
    Map<String, Map<String, Object>> devices = new LinkedHashMap<>();
    devices.put("d1", d1);
    devices.put("d2", null);
    assertEquals(devices, read.request().devices());

    Read<AttributesWrite> bad = AttributesWrite.read(json(
        "{\"devices\": {\"\": {}, \"d1\": 3, \"d2\": {\"targetingKey\": \"x\", \"a\\u0001\": 1}}, \"expectedRevision\": \"1\"}"),
        Limits.DEFAULT);
    assertEquals(List.of("expectedRevision", "devices.", "devices.d1", "devices.d2.targetingKey", "devices.d2.a\\u0001"),
        locations(bad));
    assertEquals(List.of("devices"), locations(AttributesWrite.read(json("{\"devices\": {}}"), Limits.DEFAULT)));
    assertEquals(List.of("devices"), locations(AttributesWrite.read(json("{}"), Limits.DEFAULT)));
  }

  @Test
  void revertsNameARevision() {
    assertEquals(new RevertRequest(7, 9L, false), RevertRequest.read(json("{\"toRevision\": 7, \"expectedRevision\": 9}")).request());
    for (String bad : List.of("{}", "{\"toRevision\": -1}", "{\"toRevision\": \"7\"}", "{\"toRevision\": 1.5}")) {
      assertEquals(List.of("toRevision"), locations(RevertRequest.read(json(bad))), bad);
    }
    assertEquals(List.of("to"), locations(RevertRequest.read(json("{\"toRevision\": 1, \"to\": 2}"))));
  }

  @Test
  void queriesLocateTheirProblems() {
    assertEquals(new EvaluateQuery("d1", Map.of("model", "x")),
        EvaluateQuery.read(json("{\"device\": \"d1\", \"attributes\": {\"model\": \"x\"}}"), Limits.DEFAULT).request());
    assertEquals(List.of("device"), locations(EvaluateQuery.read(json("{}"), Limits.DEFAULT)));
    assertEquals(List.of("attributes"), locations(EvaluateQuery.read(json("{\"device\": \"d\", \"attributes\": 1}"), Limits.DEFAULT)));

    assertEquals(new FlagsQuery(null), FlagsQuery.read(json("{}")).request());
    assertEquals(new FlagsQuery(List.of("a")), FlagsQuery.read(json("{\"flags\": [\"a\"]}")).request());
    assertEquals(List.of("flags[1]"), locations(FlagsQuery.read(json("{\"flags\": [\"a\", \"a\"]}"))));

    assertEquals(new HistoryQuery(HistoryQuery.DEFAULT_LIMIT), HistoryQuery.read(json("{}")).request());
    for (String bad : List.of("{\"limit\": 0}", "{\"limit\": 1001}", "{\"limit\": \"5\"}")) {
      assertEquals(List.of("limit"), locations(HistoryQuery.read(json(bad))), bad);
    }

    Read<DevicesQuery> devices = DevicesQuery.read(json("{\"flag\": \"f\", \"value\": 2, \"limit\": 5, \"cursor\": \"d9\"}"), Limits.DEFAULT);
    assertEquals(new DevicesQuery("f", 2L, 5, "d9"), devices.request());
    assertEquals(List.of("flag", "limit", "cursor"),
        locations(DevicesQuery.read(json("{\"flag\": 1, \"limit\": 0, \"cursor\": 3}"), Limits.DEFAULT)));
    assertEquals(List.of("value"), locations(DevicesQuery.read(json("{\"value\": true}"), Limits.DEFAULT)));
  }

  @Test
  void requestsReadBackAsWritten() {
    List<Request> requests = List.of(
        new DocumentWrite(true, Map.of("flags", Map.of()), 3L, true),
        new DeleteRequest(List.of("a", "b"), List.of("e"), null, false),
        new RevertRequest(2, null, true),
        new EvaluateQuery("d", Map.of("model", "x")),
        new FlagsQuery(List.of("a")),
        new HistoryQuery(7),
        new DevicesQuery("f", "on", 10, "c"));
    for (Request request : requests) {
      Map<String, Object> json = json(new String(request.payload(), StandardCharsets.UTF_8));
      Read<? extends Request> read;
      if (request instanceof DocumentWrite w) {
        read = DocumentWrite.read(w.replace(), json);
      } else if (request instanceof DeleteRequest) {
        read = DeleteRequest.read(json, Set.of("a", "b"), Set.of("e"));
      } else if (request instanceof RevertRequest) {
        read = RevertRequest.read(json);
      } else if (request instanceof EvaluateQuery) {
        read = EvaluateQuery.read(json, Limits.DEFAULT);
      } else if (request instanceof FlagsQuery) {
        read = FlagsQuery.read(json);
      } else if (request instanceof HistoryQuery) {
        read = HistoryQuery.read(json);
      } else {
        read = DevicesQuery.read(json, Limits.DEFAULT);
      }
      assertTrue(read.ok(), request + ": " + read.problems());
      assertEquals(request, read.request());
    }
  }

  @Test
  void answersReadAsTheExtensionWritesThem() throws InvalidDocumentException {
    Answer accepted = Answer.read(("{\"status\":\"accepted\",\"revision\":12,\"changed\":[\"ota\"],\"removed\":[],"
        + "\"devicesAffected\":1873,\"sample\":[\"d1\"],\"dryRun\":true,\"note\":\"n\"}").getBytes(StandardCharsets.UTF_8));
    assertEquals(new WriteAnswer(12, List.of("ota"), List.of(), List.of(), 1873, List.of("d1"), true, "n"), WriteAnswer.of(accepted));
    Answer rejected = Answer.read("{\"status\":\"rejected\",\"problems\":[{\"location\":\"flags.x\",\"reason\":\"r\"}]}"
        .getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(new Problem("flags.x", "r")), rejected.problems());
    assertThrows(InvalidDocumentException.class, () -> Answer.read("[]".getBytes(StandardCharsets.UTF_8)));

    ProgressEvent event = new ProgressEvent(12, 2000, 1500, 500, 3000, false);
    assertEquals(event, ProgressEvent.fromJson(event.toJson()));

    DevicesAnswer page = new DevicesAnswer(5, List.of(new DevicesAnswer.Device("d1", Map.of("model", "x"), 5L, "0000002a", true, "on")),
        10, "d1");
    Map<String, Object> body = page.toJson(true);
    assertEquals(page, DevicesAnswer.of(new Answer("ok", body)));
    assertEquals(Json.write(body), Json.write(DevicesAnswer.of(new Answer("ok", body)).toJson(true)));
  }
}
