package dev.fleetflags.admin;

import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Problem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The answer to an admin request: {@code status} is {@code accepted} (a write was made durable, or
 * changed nothing), {@code rejected} (nothing was changed; {@code problems} say what and where),
 * {@code ok} (a query) or {@code error} (the extension failed; nothing was changed), then
 * action-specific members.
 */
public record AdminResponse(String status, Map<String, Object> body) {

  public AdminResponse {
    body = Collections.unmodifiableMap(new LinkedHashMap<>(body));
  }

  public static AdminResponse rejected(List<Problem> problems) {
    return rejected(problems, Map.of());
  }

  public static AdminResponse rejected(List<Problem> problems, Map<String, Object> extra) {
    List<Object> list = new ArrayList<>(problems.size());
    for (Problem p : problems) {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("location", p.location());
      item.put("reason", p.reason());
      list.add(item);
    }
    Map<String, Object> body = new LinkedHashMap<>(extra);
    body.put("problems", list);
    return new AdminResponse("rejected", body);
  }

  public static AdminResponse rejected(String location, String reason) {
    return rejected(List.of(new Problem(location, reason)));
  }

  public static AdminResponse error(String reason) {
    return new AdminResponse("error", Map.of("reason", reason));
  }

  public boolean isAccepted() {
    return status.equals("accepted");
  }

  /** The JSON the operator receives. */
  public byte[] toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("status", status);
    json.putAll(body);
    return Json.write(json).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return new String(toJson(), StandardCharsets.UTF_8);
  }
}
