package dev.fleetflags.admin;

import dev.fleetflags.delivery.FleetCompliance;
import dev.fleetflags.delivery.FleetCompliance.FlagHoldings;
import dev.fleetflags.delivery.FleetCompliance.RevisionCompliance;
import dev.fleetflags.delivery.FleetCompliance.ValueHolding;
import dev.fleetflags.protocol.ComplianceQuery;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * {@code query/compliance}: where the devices of this broker stand with the newest revisions
 * ({@code {}}: all tracked; {@code {"revision": N}}: one), or with one flag ({@code {"flag": "key"}}:
 * the tracked revisions that changed it, and which values the connected devices hold of it).
 */
final class ComplianceReport {

  private final FleetCompliance compliance;

  ComplianceReport(FleetCompliance compliance) {
    this.compliance = compliance;
  }

  /** The answer; complete at once, except for a flag's, which walks the connected devices first. */
  CompletableFuture<AdminResponse> answer(ComplianceQuery query, long currentRevision) {
    @Nullable Long revision = query.revision();
    @Nullable String flag = query.flag();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("revision", currentRevision);
    if (revision != null) {
      long n = revision;
      RevisionCompliance figures = compliance.revision(n);
      if (figures == null) {
        return now(AdminResponse.rejected(List.of(new Problem("revision", "revision " + n + " is not tracked on this"
            + " broker; it tracks " + tracked() + " (the newest delivery/compliance-revisions changes)")),
            Map.of("revision", currentRevision)));
      }
      body.put("revisions", List.of(json(figures)));
      return now(new AdminResponse("ok", body));
    }
    if (flag != null) {
      String key = flag;
      List<Object> revisions = new ArrayList<>();
      compliance.forFlag(key).forEach(r -> revisions.add(json(r)));
      return compliance.holdings(key).handle((held, failure) -> {
        if (failure != null) {
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
          return AdminResponse.error("could not count the devices holding " + Json.quote(key) + ": " + cause.getMessage());
        }
        body.put("flag", key);
        body.put("held", json(held));
        body.put("revisions", revisions);
        return new AdminResponse("ok", body);
      });
    }
    List<Object> revisions = new ArrayList<>();
    compliance.revisions().forEach(r -> revisions.add(0, json(r)));
    body.put("revisions", revisions);
    return now(new AdminResponse("ok", body));
  }

  private String tracked() {
    Set<Long> revisions = new TreeSet<>();
    compliance.revisions().forEach(r -> revisions.add(r.revision()));
    return revisions.isEmpty() ? "none yet" : "revisions " + revisions;
  }

  private static CompletableFuture<AdminResponse> now(AdminResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  private Map<String, Object> json(RevisionCompliance r) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("revision", r.revision());
    json.put("planned", r.planned().toString());
    json.put("changed", List.copyOf(new TreeSet<>(r.changed())));
    json.put("removed", List.copyOf(new TreeSet<>(r.removed())));
    json.put("targeted", r.targeted());
    json.put("pending", r.pending());
    json.put("delivered", r.delivered());
    json.put("applied", r.applied());
    json.put("rejected", r.rejected());
    json.put("failed", r.failed());
    json.put("superseded", r.superseded());
    json.put("departedAfterApplying", r.departed());
    json.put("rejectedByFlag", r.rejectedByFlag());
    return json;
  }

  private static Map<String, Object> json(FlagHoldings held) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("devices", held.devices());
    List<Object> values = new ArrayList<>();
    for (ValueHolding v : held.values()) {
      Map<String, Object> value = new LinkedHashMap<>();
      value.put("value", v.value());
      value.put("devices", v.devices());
      values.add(value);
    }
    json.put("values", values);
    json.put("noValue", held.noValue());
    json.put("notSent", held.notSent());
    json.put("unknown", held.unknown());
    json.put("current", held.current());
    json.put("complete", held.complete());
    return json;
  }
}
