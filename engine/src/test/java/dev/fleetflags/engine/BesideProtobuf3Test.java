package dev.fleetflags.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine as an application uses it, with protobuf-java 3 on the class path (as the flagd
 * provider and many gRPC applications have it): the extension's fat jar carries protobuf 4
 * unrelocated and would replace it; the engine carries none.
 */
class BesideProtobuf3Test {

  private static final String FLAGS = """
      {"flags": {"ota-v2": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
        "targeting": {"if": [{"in": [{"var": "model"}, ["th-100", "gw-20"]]}, "on", "off"]}}}}""";

  @Test
  void protobufOnTheClassPathIsVersion3() {
    // RuntimeVersion came with protobuf 4 (4.26); the gencode of protobuf 3 applications fails on 4.
    assertThrows(ClassNotFoundException.class, () -> Class.forName("com.google.protobuf.RuntimeVersion"));
    assertFalse(getClass().getResource("/dev/fleetflags/eval/FlagSet.class").toString().contains("protobuf"));
  }

  @Test
  void validatesAndEvaluatesWithProtobuf3Loaded() throws Exception {
    // An application's own protobuf 3 messages, in use beside the engine.
    Struct attributes = Struct.newBuilder().putFields("model", Value.newBuilder().setStringValue("th-100").build()).build();
    Map<String, Object> context = new HashMap<>();
    attributes.getFieldsMap().forEach((name, value) -> context.put(name, value.getStringValue()));

    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    var document = new FlagDocumentParser(Limits.DEFAULT).parse(FLAGS.getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(), document.problems());
    assertEquals(List.of(), compiler.validate(document.document()));
    FlagSet flags = compiler.compile(document.document(), FlagSetCompiler.Mode.STRICT);
    Evaluation on = flags.evaluate(new DeviceContext("dev-1", context));
    assertEquals(Boolean.TRUE, on.value(0));
    Evaluation off = flags.evaluate(new DeviceContext("dev-2", Map.of("model", "other")));
    assertEquals(Boolean.FALSE, off.value(0));
    assertTrue(on.stateHash() != off.stateHash());

    List<Problem> problems = compiler.validate(new FlagDocumentParser(Limits.DEFAULT)
        .parse(FLAGS.replace("\"in\"", "\"wat\"").getBytes(StandardCharsets.UTF_8)).document());
    assertEquals(1, problems.size(), problems.toString());
    assertEquals("flags.ota-v2.targeting.if[0].wat", problems.get(0).location());
    assertNull(Struct.getDefaultInstance().getFieldsMap().get("model"));
  }
}
