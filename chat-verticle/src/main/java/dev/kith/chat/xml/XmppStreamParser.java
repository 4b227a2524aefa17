package dev.kith.chat.xml;

import com.fasterxml.aalto.AsyncByteArrayFeeder;
import com.fasterxml.aalto.AsyncXMLInputFactory;
import com.fasterxml.aalto.AsyncXMLStreamReader;
import com.fasterxml.aalto.UncheckedStreamException;
import com.fasterxml.aalto.stax.InputFactoryImpl;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;

/**
 * Reads one XMPP stream (RFC 6120) from its bytes as they arrive, in chunks split anywhere, and
 * calls back with the stream header, each complete first-level element (stanzas, {@code
 * <stream:features/>}, {@code <starttls/>}, SASL and stream management elements) and the stream's
 * end. It never blocks and never waits for more than is there; aalto-xml's non-blocking reader does
 * the XML.
 *
 * <p>Whatever the peer sends, the parser holds a bounded amount ({@link XmlLimits}), and it refuses
 * the XML that RFC 6120 §11.1 forbids (comments, processing instructions, DTDs, entity references
 * other than the predefined five), never resolving an entity. The first problem ends the stream:
 * {@link Listener#failed} is called once with the stream error to send, and later input is ignored.
 * After STARTTLS or SASL success the session starts a new parser; this one is not reset.
 *
 * <p>Not thread-safe: one connection, one event loop. A listener that throws stops the parser and
 * the exception reaches the caller of {@code feed}; {@code feed} throws nothing else (a failure of
 * the XML reader itself is reported as {@code internal-server-error}).
 */
public final class XmppStreamParser {

  /**
   * The namespace of {@code <stream:stream>}, {@code <stream:features>} and {@code <stream:error>}.
   */
  public static final String STREAMS = "http://etherx.jabber.org/streams";

  /** What the parser tells the session, on the thread that calls {@code feed}. */
  public interface Listener {
    /**
     * The stream header arrived: a {@code stream} element of {@link #STREAMS} with its attributes
     * ({@code to}, {@code from}, {@code id}, {@code version}, {@code xml:lang}). {@code
     * defaultNamespace} is the content namespace it declares ("jabber:client", "jabber:server") or
     * "" if none; whether it is supported is the session's to say.
     */
    void streamOpened(XmlElement header, String defaultNamespace);

    /** A complete first-level element, with its namespace resolved. */
    void stanza(XmlElement stanza);

    /** {@code </stream:stream>} arrived. Nothing more is read. */
    void streamClosed();

    /** The peer broke the XML rules or a limit; send {@code error} and close. Called once. */
    void failed(StreamError error);
  }

  // One factory for every stream: it holds only configuration. Its shared table of names stays
  // empty because no reader is ever closed (closing would merge the peer's names into it).
  private static final AsyncXMLInputFactory FACTORY = factory();

  private enum State {
    /** Before the stream header (or, for one element, the root) has started. */
    PROLOG,
    OPEN,
    /** Failed, closed or stopped: input is ignored. */
    DONE
  }

  private final XmlLimits limits;
  private final Listener listener;

  /** For {@link XmlElement#parse}: the root is the element, in this default namespace. */
  private final String elementNamespace;

  private final AsyncXMLStreamReader<AsyncByteArrayFeeder> reader =
      FACTORY.createAsyncForByteArray();
  private State state = State.PROLOG;
  private TreeBuilder tree;

  // Positions count bytes from the start of the stream.
  private long fed;
  private byte[] slice;
  private int sliceOffset;
  private long sliceBase;

  /** Where the bytes between stanzas began: the end of the header or of the last stanza. */
  private long firstLevelFrom;

  /** Up to here, the bytes between stanzas are known to hold no {@code <}. */
  private long scannedTo;

  /** Where the first-level element being read began, or -1 between stanzas. */
  private long stanzaStart = -1;

  private boolean prologScanned;
  private boolean afterLessThan;

  /** While a listener call runs: what it throws is the caller's, not the peer's fault. */
  private boolean listening;

  /** A parser of a stream that calls {@code listener}, holding at most what {@code limits} let. */
  public XmppStreamParser(XmlLimits limits, Listener listener) {
    this(limits, listener, null);
  }

  private XmppStreamParser(XmlLimits limits, Listener listener, String elementNamespace) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.elementNamespace = elementNamespace;
  }

  /** Reads the next bytes of the stream. */
  public void feed(Buffer bytes) {
    feed(bytes.getBytes(), 0, bytes.length());
  }

  /** Reads {@code length} bytes of {@code bytes} from {@code offset}; they are not kept. */
  public void feed(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    try {
      int end = offset + length;
      while (offset < end && state != State.DONE) {
        int n = (int) Math.min(end - offset, Math.max(1, budget()));
        if (!prologScanned) {
          scanProlog(bytes, offset, n);
        }
        slice = bytes;
        sliceOffset = offset;
        sliceBase = fed;
        reader.getInputFeeder().feedInput(bytes, offset, n);
        fed += n;
        offset += n;
        drain();
        checkPending();
      }
    } catch (Refusal refusal) {
      fail(refusal.error);
    } catch (XMLStreamException | UncheckedStreamException e) {
      fail(readerError(e));
    } catch (RuntimeException e) {
      if (listening) {
        state = State.DONE; // the reader may hold unread input: it cannot go on
        throw e;
      }
      fail(new StreamError(StreamError.INTERNAL_SERVER_ERROR, "the stream could not be read"));
    } finally {
      listening = false;
      slice = null;
    }
  }

  /**
   * Stops reading: the rest of the current chunk and all later input are ignored. For a session
   * that closes the stream, or that goes on with a new parser after {@code <proceed/>} or {@code
   * <success/>}.
   */
  public void stop() {
    state = State.DONE;
  }

  /** The one complete element in {@code xml}; see {@link XmlElement#parse(String, String)}. */
  static XmlElement parseElement(String xml, String defaultNamespace, XmlLimits limits) {
    Objects.requireNonNull(defaultNamespace, "defaultNamespace");
    byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > limits.maxStanzaBytes()) {
      throw new StreamErrorException(stanzaTooLarge(limits).error);
    }
    OneElement result = new OneElement();
    new XmppStreamParser(limits, result, defaultNamespace).feed(bytes, 0, bytes.length);
    return result.get();
  }

  /** How many more bytes may be fed before a limit could be broken unseen. */
  private long budget() {
    if (elementNamespace != null) {
      return Long.MAX_VALUE; // parseElement checked the size of the whole text
    }
    if (state == State.PROLOG) {
      return limits.maxBytesBetweenStanzas() - fed;
    }
    if (stanzaStart >= 0) {
      return stanzaStart + limits.maxStanzaBytes() - fed;
    }
    // A stanza may start anywhere in this slice; it is read no further than its own limit.
    return Math.min(
        firstLevelFrom + limits.maxBytesBetweenStanzas() + 1 - fed, limits.maxStanzaBytes());
  }

  private void drain() throws XMLStreamException {
    int event;
    while (state != State.DONE
        && (event = reader.next()) != AsyncXMLStreamReader.EVENT_INCOMPLETE) {
      switch (event) {
        case XMLStreamConstants.START_DOCUMENT -> checkDeclaration();
        case XMLStreamConstants.START_ELEMENT -> startElement();
        case XMLStreamConstants.END_ELEMENT -> endElement();
        case XMLStreamConstants.CHARACTERS, XMLStreamConstants.SPACE, XMLStreamConstants.CDATA ->
            characters(event);
        case XMLStreamConstants.COMMENT -> throw restricted("comments");
        case XMLStreamConstants.PROCESSING_INSTRUCTION ->
            throw restricted("processing instructions");
        case XMLStreamConstants.DTD -> throw restricted("DTDs");
        case XMLStreamConstants.ENTITY_REFERENCE ->
            throw restricted("entity references (&" + reader.getLocalName() + ";)");
        default -> {
          // END_DOCUMENT never comes: the input never ends for the reader.
        }
      }
    }
  }

  private void checkDeclaration() {
    String encoding = reader.getCharacterEncodingScheme();
    if (encoding != null && !encoding.equalsIgnoreCase("UTF-8")) {
      throw new Refusal(
          StreamError.UNSUPPORTED_ENCODING, "XMPP is UTF-8; the stream declares " + encoding);
    }
    String version = reader.getVersion();
    if (version != null && !version.equals("1.0")) {
      throw new Refusal(StreamError.NOT_WELL_FORMED, "XMPP is XML 1.0, not XML " + version);
    }
  }

  private void startElement() throws XMLStreamException {
    if (state == State.OPEN) {
      if (tree.depth() == 0) {
        markStanzaStart();
      }
      tree.start(reader);
      return;
    }
    state = State.OPEN;
    if (elementNamespace != null) {
      tree = new TreeBuilder(limits, elementNamespace);
      tree.start(reader);
      return;
    }
    if (!reader.getLocalName().equals("stream") || !STREAMS.equals(reader.getNamespaceURI())) {
      throw new Refusal(
          StreamError.INVALID_NAMESPACE,
          "a stream opens with <stream:stream xmlns:stream='" + STREAMS + "'>");
    }
    XmlElement header = TreeBuilder.header(reader, limits);
    String namespace = TreeBuilder.declaredDefault(reader, "");
    tree = new TreeBuilder(limits, namespace);
    firstLevelFrom = position();
    scannedTo = firstLevelFrom;
    listening = true;
    listener.streamOpened(header, namespace);
    listening = false;
  }

  private void endElement() throws XMLStreamException {
    if (tree.depth() == 0) {
      state = State.DONE;
      listening = true;
      listener.streamClosed();
      listening = false;
      return;
    }
    XmlElement element = tree.end();
    if (element == null) {
      return;
    }
    long end = position();
    if (elementNamespace != null) {
      state = State.DONE;
      checkNothingAfter(end);
    } else {
      if (end - stanzaStart > limits.maxStanzaBytes()) {
        throw stanzaTooLarge(limits);
      }
      firstLevelFrom = end;
      scannedTo = end;
      stanzaStart = -1;
    }
    listening = true;
    listener.stanza(element);
    listening = false;
  }

  private void characters(int event) {
    if (tree != null && tree.depth() > 0) {
      tree.text(reader);
    } else if (event == XMLStreamConstants.CDATA || !reader.isWhiteSpace()) {
      throw new Refusal(StreamError.BAD_FORMAT, "text between stanzas");
    }
  }

  /** Called after each slice: whether what is still unfinished is within its limit. */
  private void checkPending() {
    if (state == State.DONE || elementNamespace != null) {
      return;
    }
    if (state == State.PROLOG) {
      if (fed >= limits.maxBytesBetweenStanzas()) {
        throw policyViolation(
            "stream header larger than " + limits.maxBytesBetweenStanzas() + " bytes");
      }
      return;
    }
    if (tree.depth() == 0 && stanzaStart < 0) {
      int at = indexOfLessThan(Math.max(firstLevelFrom, scannedTo));
      if (at >= 0) {
        stanzaStart = sliceBase + (at - sliceOffset);
      }
      scannedTo = fed;
    }
    if (stanzaStart >= 0) {
      if (fed - stanzaStart >= limits.maxStanzaBytes()) {
        throw stanzaTooLarge(limits); // unfinished, and already this long
      }
    } else if (fed - firstLevelFrom > limits.maxBytesBetweenStanzas()) {
      throw policyViolation(
          "more than " + limits.maxBytesBetweenStanzas() + " bytes between stanzas");
    }
  }

  /** A first-level element started in this slice: its {@code <} is the first since the last one. */
  private void markStanzaStart() {
    if (stanzaStart < 0) {
      long from = Math.max(firstLevelFrom, scannedTo);
      int at = indexOfLessThan(from);
      stanzaStart = at >= 0 ? sliceBase + (at - sliceOffset) : from;
    }
  }

  /** The index in the slice of the first {@code <} from stream position {@code from}, or -1. */
  private int indexOfLessThan(long from) {
    int end = sliceOffset + (int) (fed - sliceBase);
    for (int i = sliceOffset + (int) Math.max(0, from - sliceBase); i < end; i++) {
      if (slice[i] == '<') {
        return i;
      }
    }
    return -1;
  }

  /** The stream position just after the event the reader has just returned. */
  private long position() throws XMLStreamException {
    // aalto adds the offset of each slice in its array to the bytes before it; take it away.
    return reader.getLocationInfo().getEndingByteOffset() - sliceOffset;
  }

  /**
   * Refuses, before the reader sees them, the prolog's comments and DTDs ({@code <!}) and the bytes
   * that show another encoding than UTF-8: a byte order mark of UTF-16 or a zero byte.
   */
  private void scanProlog(byte[] bytes, int offset, int length) {
    for (int i = offset; i < offset + length && !prologScanned; i++) {
      int b = bytes[i] & 0xFF;
      if (b == 0 || (fed + i - offset == 0 && (b == 0xFE || b == 0xFF))) {
        throw new Refusal(StreamError.UNSUPPORTED_ENCODING, "XMPP is UTF-8");
      }
      if (afterLessThan) {
        afterLessThan = false;
        if (b == '!') {
          throw restricted("DTDs and comments");
        }
        prologScanned = b != '?';
      } else {
        afterLessThan = b == '<';
      }
    }
  }

  /** For one element: after it, only whitespace. */
  private void checkNothingAfter(long end) {
    String rest =
        new String(
                slice,
                sliceOffset + (int) (end - sliceBase),
                (int) (fed - end),
                StandardCharsets.UTF_8)
            .strip();
    if (rest.startsWith("<!--") || rest.startsWith("<?")) {
      throw restricted(rest.startsWith("<?") ? "processing instructions" : "comments");
    }
    if (!rest.isEmpty()) {
      throw new Refusal(StreamError.NOT_WELL_FORMED, "content after the element");
    }
  }

  private void fail(StreamError error) {
    state = State.DONE;
    listener.failed(error);
  }

  static Refusal policyViolation(String text) {
    return new Refusal(StreamError.POLICY_VIOLATION, text);
  }

  private static Refusal stanzaTooLarge(XmlLimits limits) {
    return policyViolation("stanza larger than " + limits.maxStanzaBytes() + " bytes");
  }

  private static Refusal restricted(String what) {
    return new Refusal(StreamError.RESTRICTED_XML, what + " are not allowed in XMPP");
  }

  /** The stream error for what the reader refused: mostly not-well-formed, in aalto's words. */
  private static StreamError readerError(Exception e) {
    String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
    if (message.startsWith("Unexpanded ENTITY_REFERENCE")) {
      return restricted("entity references").error; // one in an attribute value
    }
    if (message.startsWith("Unsupported encoding")) {
      return new StreamError(StreamError.UNSUPPORTED_ENCODING, "XMPP is UTF-8");
    }
    return new StreamError(StreamError.NOT_WELL_FORMED, message);
  }

  private static AsyncXMLInputFactory factory() {
    AsyncXMLInputFactory factory = new InputFactoryImpl();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    factory.setProperty(XMLInputFactory.IS_COALESCING, false);
    factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
    return factory;
  }

  /** A refusal from inside the parser: a stream error, without a stack trace to fill. */
  static final class Refusal extends RuntimeException {
    final StreamError error;

    Refusal(String condition, String text) {
      super(text, null, false, false);
      this.error = new StreamError(condition, text);
    }
  }

  /** Catches the one element {@link #parseElement} wants, or why there is none. */
  private static final class OneElement implements Listener {
    private XmlElement element;
    private StreamError error;

    XmlElement get() {
      if (error != null) {
        throw new StreamErrorException(error);
      }
      if (element == null) {
        throw new StreamErrorException(
            new StreamError(StreamError.NOT_WELL_FORMED, "the element is incomplete"));
      }
      return element;
    }

    @Override
    public void streamOpened(XmlElement header, String defaultNamespace) {}

    @Override
    public void stanza(XmlElement stanza) {
      element = stanza;
    }

    @Override
    public void streamClosed() {}

    @Override
    public void failed(StreamError error) {
      this.error = error;
    }
  }
}
