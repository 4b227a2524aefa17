package dev.kith.web;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gzip and brotli copies of a site's text files, made once when a version is published (at the
 * strongest settings, since they are made once and served many times). The output depends only on
 * the input, so an unchanged file gives the same objects in every version.
 */
final class Compression {

  private static final Logger log = LoggerFactory.getLogger(Compression.class);

  /** Smaller files gain too little to be worth a second object. */
  static final int MIN_BYTES = 256;

  /** A copy is kept only when it is at most this share of the original. */
  private static final double KEEP_RATIO = 0.9;

  private static final boolean BROTLI = loadBrotli();

  private Compression() {}

  private static boolean loadBrotli() {
    try {
      Brotli4jLoader.ensureAvailability();
      return true;
    } catch (Throwable e) {
      log.warn(
          "brotli is not available on this platform ({}); sites get gzip copies only",
          e.toString());
      return false;
    }
  }

  static boolean brotliAvailable() {
    return BROTLI;
  }

  /** A gzip member with no name and time 0, or null when it would not be smaller enough. */
  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 3 + 32);
    // The header by hand: no file name, modification time 0, so equal input gives equal output.
    out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 2, (byte) 0xff}, 0, 10);
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    try (DeflaterOutputStream d = new DeflaterOutputStream(out, deflater, 8192)) {
      d.write(data);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } finally {
      deflater.end();
    }
    CRC32 crc = new CRC32();
    crc.update(data);
    writeIntLe(out, (int) crc.getValue());
    writeIntLe(out, data.length);
    return kept(data, out.toByteArray());
  }

  /** A brotli stream at quality 11, or null (not smaller enough, or no brotli here). */
  static byte[] brotli(byte[] data) {
    if (!BROTLI) {
      return null;
    }
    try {
      return kept(data, Encoder.compress(data, new Encoder.Parameters().setQuality(11)));
    } catch (IOException e) {
      log.warn("brotli failed on {} bytes: {}", data.length, e.toString());
      return null;
    }
  }

  private static byte[] kept(byte[] data, byte[] compressed) {
    return compressed.length <= data.length * KEEP_RATIO ? compressed : null;
  }

  private static void writeIntLe(ByteArrayOutputStream out, int v) {
    out.write(v & 0xff);
    out.write((v >>> 8) & 0xff);
    out.write((v >>> 16) & 0xff);
    out.write((v >>> 24) & 0xff);
  }
}
