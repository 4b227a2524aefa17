package dev.kith.mesh.auth;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first-start hint: a device whose mesh has no owner yet says, once, how to create the first
 * one. It waits until the device has taken in an owner that {@code kith init --owner} left in its
 * home, so that it never gives the hint for a mesh whose first owner is on the way.
 */
public final class FirstOwnerHint {

  private static final Logger log = LoggerFactory.getLogger(FirstOwnerHint.class);

  private FirstOwnerHint() {}

  /** Logs the hint if the mesh has no owner; {@code url} is this device's HTTP edge. */
  public static void logIfNoOwner(AuthService auth, String device, Path home, String url) {
    auth.ownerFileChecked()
        .compose(checked -> auth.accounts().owners())
        .onSuccess(
            owners -> {
              if (owners.isEmpty()) {
                log.info(
                    "{}: the mesh has no owner yet. Create the first one, an administrator, on"
                        + " this machine: kith owner add NAME --admin --url {} --home {} (it asks"
                        + " for the password), then kith login NAME --url {}",
                    device,
                    url,
                    home,
                    url);
              }
            })
        .onFailure(
            e ->
                log.debug("{}: cannot tell whether the mesh has owners: {}", device, e.toString()));
  }
}
