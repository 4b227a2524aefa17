package dev.kith.chat.server;

import dev.kith.chat.Jid;
import dev.kith.chat.Ns;
import dev.kith.chat.sasl.PlainMechanism;
import dev.kith.chat.sasl.SaslFailure;
import dev.kith.chat.sasl.ScramServer;
import dev.kith.chat.xml.XmlElement;
import dev.kith.mesh.spi.Owners;
import io.vertx.core.Future;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * SASL on one stream (RFC 6120 §6): SCRAM-SHA-256 and SCRAM-SHA-1 (RFC 7677, RFC 5802), and PLAIN,
 * all after TLS. Every attempt goes through the owners' one password check and lockout, shared with
 * HTTP, SMTP and IMAP: a locked-out caller gets {@code temporary-auth-failure} before any secret is
 * looked at; a wrong password {@code not-authorized}. After {@link #MAX_FAILURES} failed attempts
 * on one stream it ends with {@code policy-violation}.
 */
final class SaslExchange {

  static final int MAX_FAILURES = 3;
  static final String PROTOCOL = "XMPP";
  private static final Pattern OWNER = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private final XmppSession session;
  private ScramServer scram;
  private String owner;
  private int failures;

  SaslExchange(XmppSession session) {
    this.session = session;
  }

  /** The mechanisms offered; PLAIN only when the password cannot be read on the way. */
  static XmlElement mechanisms(boolean plain) {
    XmlElement.Builder m = XmlElement.builder("mechanisms", Ns.SASL);
    for (String name : ScramServer.MECHANISMS) {
      m.child(XmlElement.builder("mechanism", Ns.SASL).text(name).build());
    }
    if (plain) {
      m.child(XmlElement.builder("mechanism", Ns.SASL).text(PlainMechanism.NAME).build());
    }
    return m.build();
  }

  void handle(XmlElement el) {
    if (!Ns.SASL.equals(el.namespace())) {
      session.fail("not-authorized", "Authenticate first");
      return;
    }
    switch (el.name()) {
      case "auth" -> start(el);
      case "response" -> respond(el);
      case "abort" -> {
        boolean challenged = scram != null;
        scram = null;
        failure("aborted", null);
        if (challenged) {
          report(false, null, true); // counted as a wrong proof: an abort is no free guess
        }
      }
      default -> session.fail("not-authorized", "Authenticate first");
    }
  }

  private void start(XmlElement auth) {
    String mechanism = auth.attr("mechanism");
    byte[] initial = decode(auth.text());
    if (initial == null) {
      return;
    }
    try {
      if (PlainMechanism.NAME.equals(mechanism) && !session.plainAllowed()) {
        failure("encryption-required", "PLAIN only over TLS; use SCRAM-SHA-256");
      } else if (PlainMechanism.NAME.equals(mechanism)) {
        plain(PlainMechanism.parse(initial, session.config().domain()));
      } else if (mechanism != null && ScramServer.MECHANISMS.contains(mechanism)) {
        scram = ScramServer.forMechanism(mechanism, session.config().domain());
        scramFirst(scram.clientFirst(initial));
      } else {
        failure("invalid-mechanism", "Offered: SCRAM-SHA-256, SCRAM-SHA-1, PLAIN");
      }
    } catch (SaslFailure e) {
      scram = null;
      failure(e.condition().element(), e.getMessage());
    }
  }

  private void plain(PlainMechanism.Credentials credentials) {
    owner = owner(credentials.user());
    session.pause();
    owners()
        .checkPassword(PROTOCOL, session.address(), owner, credentials.password())
        .onComplete(
            ar -> {
              session.resume();
              if (ar.failed()) {
                failure("temporary-auth-failure", "The accounts cannot be read now; try again");
              } else {
                decided(ar.result(), null);
              }
            });
  }

  private void scramFirst(String user) {
    owner = owner(user);
    String named = owner;
    ScramServer exchange = scram;
    session.pause();
    owners()
        .lockedOutFor(session.address(), owner)
        .compose(
            locked -> {
              if (locked > 0) {
                return Future.succeededFuture(
                    new Owners.Login(Owners.Outcome.LOCKED_OUT, null, locked));
              }
              // A name that is no owner gets stand-in secrets of its own: the exchange looks the
              // same.
              return (named != null
                      ? owners().scramOrDecoy(named, exchange.hash())
                      : owners().scramDecoy(user, exchange.hash()))
                  .map(
                      secrets -> {
                        session.write(
                            XmlElement.builder("challenge", Ns.SASL)
                                .text(
                                    Base64.getEncoder()
                                        .encodeToString(exchange.serverFirst(secrets)))
                                .build()
                                .toXml(Ns.CLIENT));
                        return (Owners.Login) null;
                      });
            })
        .onComplete(
            ar -> {
              session.resume();
              if (ar.failed()) {
                scram = null;
                failure("temporary-auth-failure", "The accounts cannot be read now; try again");
              } else if (ar.result() != null) {
                scram = null;
                decided(ar.result(), null);
              }
            });
  }

  private void respond(XmlElement response) {
    ScramServer exchange = scram;
    if (exchange == null) {
      failure("malformed-request", "No exchange to respond to");
      return;
    }
    byte[] bytes = decode(response.text());
    if (bytes == null) {
      scram = null;
      report(false, null, true); // counted; decode answered it already
      return;
    }
    scram = null;
    ScramServer.Result result;
    try {
      result = exchange.clientFinal(bytes);
    } catch (SaslFailure e) {
      report(false, null, false);
      return;
    }
    report(result.proofValid(), result.serverFinal(), false);
  }

  /**
   * Counts a challenged SCRAM exchange under the lockout, and answers it unless {@code answered}
   * (an abort or a bad response got its own failure: one element gets one answer).
   */
  private void report(boolean proofValid, byte[] serverFinal, boolean answered) {
    session.pause();
    owners()
        .scramResult(PROTOCOL, session.address(), owner, proofValid && owner != null)
        .onComplete(
            ar -> {
              session.resume();
              if (answered) {
                return; // never accepted: the proof was not valid
              }
              if (ar.failed()) {
                failure("temporary-auth-failure", "The accounts cannot be read now; try again");
              } else {
                decided(ar.result(), serverFinal);
              }
            });
  }

  private void decided(Owners.Login login, byte[] serverFinal) {
    switch (login.outcome()) {
      case ACCEPTED -> {
        if (!session.server().admit(owner)) {
          session.server().metrics().login("sasl", "too-many-sessions");
          session.fail(
              "policy-violation",
              "Too many sessions of " + owner + " on this device (xmpp-max-connections-per-owner)");
          return;
        }
        session.server().metrics().login("sasl", "accepted");
        session.write(
            XmlElement.builder("success", Ns.SASL)
                .text(serverFinal == null ? null : Base64.getEncoder().encodeToString(serverFinal))
                .build()
                .toXml(Ns.CLIENT));
        session.authenticated(owner);
      }
      case LOCKED_OUT -> {
        session.server().metrics().login("sasl", "locked-out");
        failure(
            "temporary-auth-failure",
            "Too many failed logins; try again in " + login.retryAfterSeconds() + " s");
      }
      default -> {
        session.server().metrics().login("sasl", "refused");
        failure("not-authorized", "Wrong user name or password");
      }
    }
  }

  private void failure(String condition, String text) {
    XmlElement.Builder f =
        XmlElement.builder("failure", Ns.SASL)
            .child(XmlElement.builder(condition, Ns.SASL).build());
    if (text != null) {
      f.child(XmlElement.builder("text", Ns.SASL).attr("xml:lang", "en").text(text).build());
    }
    session.write(f.build().toXml(Ns.CLIENT));
    if (++failures >= MAX_FAILURES) {
      session.fail("policy-violation", "Too many failed authentication attempts");
    }
  }

  /** The base64 payload ("=" is empty), or null after answering {@code incorrect-encoding}. */
  private byte[] decode(String text) {
    String t = text == null ? "" : text.trim();
    if (t.isEmpty() || t.equals("=")) {
      return new byte[0];
    }
    if (t.length() > 4 * ScramServer.MAX_MESSAGE_BYTES) {
      failure("malformed-request", "SASL message too long");
      return null;
    }
    try {
      return Base64.getDecoder().decode(t);
    } catch (IllegalArgumentException e) {
      failure("incorrect-encoding", "Not base64");
      return null;
    }
  }

  /** The owner a SASL user name means ({@code alice} or {@code alice@domain}), or null. */
  private String owner(String user) {
    String name = user;
    if (user.indexOf('@') >= 0) {
      Jid jid = Jid.parseOrNull(user);
      if (jid == null || jid.local() == null || !session.config().local(jid.domain())) {
        return null;
      }
      name = jid.local();
    }
    return OWNER.matcher(name).matches() ? name : null;
  }

  private Owners owners() {
    return session.server().context().owners();
  }
}
