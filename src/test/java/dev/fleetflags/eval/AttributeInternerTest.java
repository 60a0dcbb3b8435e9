package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AttributeInternerTest {

  /** A CONNECT packet's attributes: strings of their own, equal to other devices'. */
  private static DeviceContext connect(String model, String region, String username) {
    Map<String, Object> attributes = new HashMap<>();
    attributes.put(new String("model"), new String(model));
    attributes.put(new String("region"), new String(region));
    attributes.put(new String("username"), new String(username));
    return new DeviceContext(null, attributes);
  }

  @Test
  void devicesShareNamesAndValuesButNotTheirCombinationOrOwnValues() {
    AttributeInterner interner = new AttributeInterner(Set.of("username"));
    DeviceContext a = interner.intern(connect("th-100", "eu-west", "alice"));
    DeviceContext b = interner.intern(connect("th-100", "us-east", "bob"));
    DeviceContext c = interner.intern(connect("th-100", "us-east", "carol"));

    assertSame(a.names, b.names, "one array of names for devices with the same names");
    assertSame(a.attributes().get("model"), b.attributes().get("model"));
    assertSame(b.attributes().get("region"), c.attributes().get("region"));
    assertNotSame(b.values, c.values, "each device has its own values, however alike");
    assertEquals(3, interner.values(), "th-100, eu-west, us-east; usernames are the devices' own");
    assertEquals(Map.of("model", "th-100", "region", "us-east", "username", "bob"), b.attributes());
    assertNull(b.targetingKey());
  }

  @Test
  void partsNoDeviceUsesAreForgotten() {
    AttributeInterner interner = new AttributeInterner(Set.of());
    DeviceContext a = interner.intern(connect("th-100", "eu-west", "x"));
    DeviceContext b = interner.intern(connect("th-100", "us-east", "x"));
    interner.release(a);
    assertEquals(3, interner.values(), "th-100, us-east and x are still used");
    DeviceContext c = interner.intern(connect("th-100", "eu-west", "x"));
    assertSame(b.names, c.names);
    interner.release(b);
    interner.release(c);
    assertEquals(0, interner.values());
    assertNotSame(a.names, interner.intern(connect("th-100", "eu-west", "x")).names, "names forgotten too");
  }

  @Test
  void aContextWithoutAttributesIsTheEmptyOne() {
    AttributeInterner interner = new AttributeInterner(Set.of());
    assertSame(DeviceContext.empty(), interner.intern(DeviceContext.of("dev-1")));
    interner.release(DeviceContext.empty());
    assertEquals(0, interner.values());
  }

  @Test
  void attributesReadTheSameAsFromAMap() {
    Map<String, Object> given = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) { // beyond the names compared in turn: the sorted names are searched
      given.put("attr-" + (char) ('t' - i), i % 3 == 0 ? null : (long) i);
    }
    given.put("list", List.of(1, "x"));
    DeviceContext context = new DeviceContext("dev-1", given);
    Map<String, Object> attributes = context.attributes();
    assertEquals(given.size(), attributes.size());
    for (Map.Entry<String, Object> e : given.entrySet()) {
      assertTrue(attributes.containsKey(e.getKey()), e.getKey());
      Object expected = e.getKey().equals("list") ? List.of(1L, "x") : e.getValue();
      assertEquals(expected, attributes.get(e.getKey()));
      assertEquals(expected, context.attributeOrMissing(new String(e.getKey())));
    }
    assertFalse(attributes.containsKey("absent"));
    assertSame(Data.MISSING, context.attributeOrMissing("absent"));
    assertEquals(new HashMap<>(given).keySet(), attributes.keySet());
    assertThrows(UnsupportedOperationException.class, () -> attributes.put("x", 1));
  }

  @Test
  void contextsAreEqualByTargetingKeyAndAttributes() {
    DeviceContext a = new DeviceContext("d", Map.of("b", 1, "a", "x"));
    DeviceContext b = new DeviceContext("d", new LinkedHashMap<>(Map.of("a", "x", "b", 1L)));
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertFalse(a.equals(a.withTargetingKey("e")));
    assertFalse(a.equals(new DeviceContext("d", Map.of("a", "x", "b", 2))));
    assertEquals(List.of("a", "b"), List.copyOf(a.attributes().keySet()), "names in sorted order");
  }
}
