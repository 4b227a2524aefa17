package dev.kith.chat.im;

import dev.kith.chat.xml.XmlElement;

/**
 * One bound resource of the owner, as the instance knows it: the session behind it (on which
 * device), and what it said of itself.
 */
final class Resource {

  final String device;
  final String session;
  final String name;

  /** Its last available presence, or null while it has sent none (or went unavailable). */
  XmlElement presence;

  int priority;
  boolean carbons;

  Resource(String device, String session, String name) {
    this.device = device;
    this.session = session;
    this.name = name;
  }

  /** Available (it sent presence), so it gets presence and, with a priority of 0 or more, chat. */
  boolean available() {
    return presence != null;
  }

  String key() {
    return key(device, session);
  }

  static String key(String device, String session) {
    return device + "/" + session;
  }
}
