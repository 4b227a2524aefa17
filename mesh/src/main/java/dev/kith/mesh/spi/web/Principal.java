package dev.kith.mesh.spi.web;

/**
 * Who is calling: an owner with an access token (from the {@code Authorization: Bearer} header or
 * the browser's session cookie), or the device's local operator.
 *
 * @param owner the owner, or {@code null} for the operator, who owns no data
 * @param admin whether the caller may manage the mesh and its owners
 * @param sessionId the login session the token belongs to, {@code null} for the operator
 * @param viaCookie whether the token came in a cookie (state-changing requests then need a
 *     same-origin {@code Origin})
 */
public record Principal(String owner, boolean admin, String sessionId, boolean viaCookie) {

  /** The local operator of a device: an administrator who owns no data. */
  public static Principal operator() {
    return new Principal(null, true, null, false);
  }

  public boolean isOperator() {
    return owner == null;
  }

  /** For logs: never a token, only who. */
  public String describe() {
    return owner == null ? "the operator" : owner + (admin ? " (admin)" : "");
  }
}
