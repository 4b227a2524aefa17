package dev.kith.chat.im;

import dev.kith.mesh.vault.StoredRecord;
import dev.kith.mesh.vault.Vault;
import io.vertx.core.Future;
import java.util.function.Consumer;

/** Reads every live record under a prefix of the owner's vault, page by page, in key order. */
final class Scans {

  private static final int PAGE = 500;

  private Scans() {}

  static Future<Void> each(Vault vault, String owner, String prefix, Consumer<StoredRecord> each) {
    return after(vault, owner, prefix, null, each);
  }

  private static Future<Void> after(
      Vault vault, String owner, String prefix, String after, Consumer<StoredRecord> each) {
    return vault
        .scanPage(owner, prefix, after, PAGE)
        .compose(
            page -> {
              page.records().forEach(each);
              return page.next() == null
                  ? Future.succeededFuture()
                  : after(vault, owner, prefix, page.next(), each);
            });
  }
}
