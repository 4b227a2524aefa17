package dev.kith.mail.smtp;

import dev.kith.mesh.spi.Owners;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.subethamail.smtp.AuthenticationHandler;
import org.subethamail.smtp.AuthenticationHandlerFactory;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.RejectException;

/**
 * SMTP AUTH PLAIN (RFC 4616) and LOGIN, checked by the mesh's shared password check ({@link
 * Owners#checkPassword}): SMTP failures count towards the same lockout as HTTP logins, per account
 * and per address, on every device. The replies are the edge's own, so a locked-out client is told
 * so ({@code 454 4.7.0} and the time left) instead of a {@code 535} that invites another guess.
 */
final class SmtpAuth implements AuthenticationHandlerFactory {

  /** Checks one name and password; the verdict decides the reply. */
  interface Checker {
    Owners.Login check(String user, String password, MessageContext session) throws Exception;
  }

  private static final String USERNAME_PROMPT = prompt("Username:");
  private static final String PASSWORD_PROMPT = prompt("Password:");

  private final Checker checker;

  SmtpAuth(Checker checker) {
    this.checker = checker;
  }

  @Override
  public List<String> getAuthenticationMechanisms() {
    return List.of("PLAIN", "LOGIN");
  }

  @Override
  public AuthenticationHandler create() {
    return new Handler();
  }

  private final class Handler implements AuthenticationHandler {

    private String mechanism;
    private String user;
    private String owner;

    @Override
    public Optional<String> auth(String clientInput, MessageContext session)
        throws RejectException {
      if (mechanism == null) {
        String[] words = clientInput.trim().split("\\s+");
        mechanism = words.length > 1 ? words[1].toUpperCase(Locale.ROOT) : "";
        String initial = words.length > 2 ? words[2] : null;
        if (mechanism.equals("PLAIN")) {
          return initial == null ? Optional.of("334 ") : plain(initial, session);
        }
        if (mechanism.equals("LOGIN")) {
          if (initial == null) {
            return Optional.of(USERNAME_PROMPT);
          }
          user = text(initial);
          return Optional.of(PASSWORD_PROMPT);
        }
        throw new RejectException(504, "5.5.4 Unrecognized authentication type");
      }
      if (mechanism.equals("PLAIN")) {
        return plain(clientInput.trim(), session);
      }
      if (user == null) {
        user = text(clientInput.trim());
        return Optional.of(PASSWORD_PROMPT);
      }
      return check(user, text(clientInput.trim()), session);
    }

    /** {@code [authzid] NUL authcid NUL password}; the authorization identity must be empty. */
    private Optional<String> plain(String base64, MessageContext session) throws RejectException {
      String decoded = text(base64);
      int first = decoded.indexOf('\0');
      int second = first < 0 ? -1 : decoded.indexOf('\0', first + 1);
      if (second < 0) {
        throw new RejectException(501, "5.5.2 AUTH PLAIN needs [authzid] NUL user NUL password");
      }
      String authzid = decoded.substring(0, first);
      String authcid = decoded.substring(first + 1, second);
      if (!authzid.isEmpty() && !authzid.equalsIgnoreCase(authcid)) {
        throw new RejectException(535, "5.7.8 Authentication credentials invalid");
      }
      return check(authcid, decoded.substring(second + 1), session);
    }

    private Optional<String> check(String name, String password, MessageContext session)
        throws RejectException {
      Owners.Login verdict;
      try {
        verdict = checker.check(name, password, session);
      } catch (Exception e) {
        throw new RejectException(454, "4.7.0 Cannot check credentials now; try again later");
      }
      switch (verdict.outcome()) {
        case ACCEPTED -> {
          owner = verdict.owner() == null ? name : verdict.owner();
          return Optional.empty();
        }
        case REFUSED -> throw new RejectException(535, "5.7.8 Authentication credentials invalid");
        default ->
            throw new RejectException(
                454,
                "4.7.0 Too many failed logins for this account or from this address; try again in "
                    + verdict.retryAfterSeconds()
                    + " s");
      }
    }

    @Override
    public Object getIdentity() {
      return owner;
    }
  }

  private static String text(String base64) throws RejectException {
    try {
      return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new RejectException(501, "5.5.2 Not valid Base64");
    }
  }

  private static String prompt(String text) {
    return "334 " + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }
}
