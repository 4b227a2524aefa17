package dev.kith.chat.xml;

/** What an element holds, in order: child elements and runs of text. */
public sealed interface XmlNode permits XmlElement, XmlText {}
