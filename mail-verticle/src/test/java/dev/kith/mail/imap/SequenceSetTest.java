package dev.kith.mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("IMAP sequence sets (SequenceSet)")
class SequenceSetTest {

  private static List<Long> members(String set, long largest, long upTo) {
    SequenceSet parsed = SequenceSet.parse(set);
    return LongStream.rangeClosed(1, upTo)
        .filter(n -> parsed.contains(n, largest))
        .boxed()
        .toList();
  }

  private static List<String> ranges(String set, long largest) {
    return SequenceSet.parse(set).ranges(largest).stream().map(r -> r[0] + "-" + r[1]).toList();
  }

  @Test
  @DisplayName("holds single numbers, ranges either way round, and * as the largest")
  void contains() {
    assertThat(members("1", 10, 12)).containsExactly(1L);
    assertThat(members("1:5", 10, 12)).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(members("5:3", 10, 12)).containsExactly(3L, 4L, 5L);
    assertThat(members("*", 10, 12)).containsExactly(10L);
    assertThat(members("8:*", 10, 12)).containsExactly(8L, 9L, 10L);
    assertThat(members("*:9", 10, 12)).containsExactly(9L, 10L);
    assertThat(members("1,3:4,*", 10, 12)).containsExactly(1L, 3L, 4L, 10L);
    assertThat(members("4294967295", 10, 12)).isEmpty();
    assertThat(SequenceSet.parse("4294967295").contains(4294967295L, 10)).isTrue();
  }

  @Test
  @DisplayName("reads n:* past the largest as largest:n, and * in an empty mailbox as nothing")
  void starBeyondLargest() {
    assertThat(members("3:*", 2, 5)).containsExactly(2L, 3L);
    assertThat(members("*", 0, 5)).isEmpty();
    assertThat(members("1:*", 0, 5)).isEmpty();
    assertThat(members("2,4:*", 0, 5)).containsExactly(2L);
  }

  @Test
  @DisplayName("gives its ranges sorted, merged and with * resolved")
  void normalizedRanges() {
    assertThat(ranges("9:7,1,3:2,4,*", 20)).containsExactly("1-4", "7-9", "20-20");
    assertThat(ranges("5:*,1:6", 3)).containsExactly("1-6");
    assertThat(ranges("10,*", 0)).containsExactly("10-10");
    assertThat(ranges("1:3,2:8,8,9", 100)).containsExactly("1-9");
  }

  @Test
  @DisplayName("refuses what is not a sequence set, saying why")
  void invalid() {
    assertInvalid("", "Empty sequence set");
    assertInvalid("0", "0 is not a valid number");
    assertInvalid("1:0", "0 is not a valid number");
    assertInvalid("4294967296", "is over 4294967295");
    assertInvalid("99999999999999999999", "is over 4294967295");
    assertInvalid("1,,2", "Empty part");
    assertInvalid("1,", "Empty part");
    assertInvalid("1:", "Empty part");
    assertInvalid(":5", "Empty part");
    assertInvalid("1:2:3", "Bad number");
    assertInvalid("a", "Bad number");
    assertInvalid("-1", "Bad number");
    assertInvalid("01", "leading zero");
    assertInvalid("1 ", "Bad number");
    assertInvalid("$", "The saved search result ($) is not supported");
    assertInvalid("1,$", "The saved search result ($) is not supported");
  }

  private static void assertInvalid(String text, String message) {
    assertThatThrownBy(() -> SequenceSet.parse(text))
        .as(text)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  @DisplayName("writes numbers as the shortest set")
  void format() {
    assertThat(SequenceSet.format(List.of(7L, 1L, 2L, 3L, 5L, 8L, 9L, 2L))).isEqualTo("1:3,5,7:9");
    assertThat(SequenceSet.format(Set.of(42L))).isEqualTo("42");
    assertThat(SequenceSet.format(List.of())).isEmpty();
    assertThat(SequenceSet.format(List.of(4294967295L, 4294967294L)))
        .isEqualTo("4294967294:4294967295");
    assertThatThrownBy(() -> SequenceSet.format(List.of(0L)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("formats and reads back 100,000 UIDs quickly")
  void manyUids() {
    List<Long> uids = new ArrayList<>();
    for (long uid = 1; uids.size() < 100_000; uid++) {
      if (uid % 7 != 0 && uid % 1000 != 1) {
        uids.add(uid);
      }
    }
    long start = System.nanoTime();
    String text = SequenceSet.format(uids);
    SequenceSet set = SequenceSet.parse(text);
    long largest = uids.get(uids.size() - 1);
    long found = LongStream.rangeClosed(1, largest).filter(n -> set.contains(n, largest)).count();
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(found).isEqualTo(uids.size());
    assertThat(set.contains(7, largest)).isFalse();
    assertThat(set.ranges(largest)).hasSize(text.split(",").length);
    assertThat(millis).as("milliseconds").isLessThan(2000);
  }
}
