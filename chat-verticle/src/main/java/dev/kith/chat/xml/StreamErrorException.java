package dev.kith.chat.xml;

/** XML that a stream must not carry, refused with the {@link StreamError} to answer it with. */
public final class StreamErrorException extends RuntimeException {

  private final StreamError error;

  public StreamErrorException(StreamError error) {
    super(error.condition() + ": " + error.text());
    this.error = error;
  }

  public StreamError error() {
    return error;
  }
}
