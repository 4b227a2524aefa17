package dev.kith.chat.reference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kith.chat.reference.XmppScenario.Tls;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The reference scenario against the oracle, Debian's Prosody: every step passes there, so when a
 * step fails against Kith the fault is Kith's, not the script's. The assertions beyond "every step
 * passed" pin down what Prosody chose where the XEPs leave a choice (which of alice's resources
 * gets a message to her bare JID directly), for comparison with Kith.
 */
@Timeout(420)
@DisplayName("The reference XMPP scenario against Debian's Prosody")
class ProsodyScenarioTest {

  static final String DOMAIN = "example.test";
  static final String ALICE_PASSWORD = "alice-secret";
  static final String BOB_PASSWORD = "bob-secret";

  @BeforeAll
  static void debianPackages() {
    ProsodyServer.require();
    XmppScenario.require();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Tls.class)
  @DisplayName(
      "two accounts with two resources each pass every step: roster, presence, carbons, MAM"
          + " paging with matching stanza-ids, and SM resumption after a dropped connection")
  void everyStepPassesAgainstProsody(Tls tls) {
    try (ProsodyServer prosody = ProsodyServer.start(DOMAIN)) {
      prosody.register("alice", ALICE_PASSWORD).register("bob", BOB_PASSWORD);
      int port = tls == Tls.STARTTLS ? prosody.c2sPort() : prosody.directTlsPort();

      XmppScenario.Result result =
          XmppScenario.against(prosody.host(), port, DOMAIN)
              .alice("alice", ALICE_PASSWORD)
              .bob("bob", BOB_PASSWORD)
              .tls(tls)
              .attempt();

      assertThat(result.passed())
          .as(() -> result.describe() + "\nProsody's log:\n" + prosody.logTail(6000))
          .isTrue();
      JsonObject json = result.json();
      JsonObject steps = json.getJsonObject("steps");
      assertThat(XmppScenario.STEPS)
          .allSatisfy(s -> assertThat(steps.getBoolean(s)).as(s).isTrue());

      // Login: SCRAM over TLS, the resources the scenario asked for.
      JsonObject login = json.getJsonObject("login");
      assertThat(login.getJsonObject("sasl").getMap().values())
          .allSatisfy(m -> assertThat((String) m).startsWith("SCRAM-"));
      assertThat(login.getJsonObject("bound").getString("a2")).isEqualTo("alice@" + DOMAIN + "/a2");

      // Discovery: the issue's features, and SM as a stream feature.
      JsonObject disco = json.getJsonObject("disco");
      assertThat(disco.getJsonArray("missing")).isEmpty();
      assertThat(disco.getJsonArray("stream").getList()).contains("urn:xmpp:sm:3");

      // Roster: versioned pushes ending in a mutual subscription on all four resources.
      JsonObject roster = json.getJsonObject("roster");
      assertThat(roster.getBoolean("versioning")).isTrue();
      for (String r : List.of("a1", "a2", "b1", "b2")) {
        JsonArray pushes = roster.getJsonObject("pushes").getJsonArray(r);
        assertThat(pushes.getJsonObject(pushes.size() - 1).getString("subscription"))
            .as(r)
            .isEqualTo("both");
      }

      // Presence: each side sees the other's resources with their priorities.
      JsonObject seen = json.getJsonObject("presence").getJsonObject("seen");
      assertThat(seen.getJsonObject("a1").getMap())
          .containsAllEntriesOf(Map.of("bob@" + DOMAIN + "/b1", 8, "bob@" + DOMAIN + "/b2", 3));
      assertThat(seen.getJsonObject("b2").getMap())
          .containsAllEntriesOf(
              Map.of("alice@" + DOMAIN + "/a1", 10, "alice@" + DOMAIN + "/a2", 5));

      // Messages: Prosody gives a message to the bare JID to the highest priority only (a1);
      // a2 gets it as a <received/> carbon, b2 as a <sent/> one. All in order, once each.
      JsonObject messages = json.getJsonObject("messages");
      assertThat(vias(messages.getJsonArray("a1"))).containsOnly("direct").hasSize(10);
      assertThat(vias(messages.getJsonArray("a2"))).containsOnly("received").hasSize(10);
      assertThat(vias(messages.getJsonArray("b2"))).containsOnly("sent").hasSize(10);
      assertThat(numbers(messages.getJsonArray("a2")))
          .isEqualTo(IntStream.rangeClosed(1, 10).boxed().toList());
      JsonObject reply = messages.getJsonObject("reply");
      assertThat(vias(reply.getJsonArray("b1"))).containsOnly("direct").hasSize(5);
      assertThat(vias(reply.getJsonArray("b2"))).containsOnly("received").hasSize(5);
      assertThat(vias(reply.getJsonArray("a2"))).containsOnly("sent").hasSize(5);

      // MAM: 15 messages in 3 pages of at most 5, under the ids the live messages carried.
      JsonObject mam = json.getJsonObject("mam");
      assertThat(mam.getInteger("count")).isEqualTo(15);
      assertThat(mam.getInteger("pages")).isEqualTo(3);
      assertThat(mam.getBoolean("complete")).isTrue();
      assertThat(mam.getBoolean("in_order")).isTrue();
      assertThat(mam.getBoolean("ids_match")).isTrue();
      assertThat(mam.getInteger("live_ids")).isEqualTo(15);

      // Stream management: resumed, with the 3 messages sent meanwhile, each once.
      JsonObject resume = json.getJsonObject("resume");
      assertThat(resume.getBoolean("resumed")).isTrue();
      assertThat(vias(resume.getJsonArray("messages")))
          .containsExactly("direct", "direct", "direct");
    }
  }

  private static List<String> vias(JsonArray entries) {
    return entries.stream().map(e -> ((JsonObject) e).getString("via")).toList();
  }

  private static List<Integer> numbers(JsonArray entries) {
    return entries.stream().map(e -> ((JsonObject) e).getInteger("n")).toList();
  }
}
