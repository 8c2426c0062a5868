// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import limu.emulator.unicorn.HostMemory;
import limu.emulator.unicorn.UnicornLibrary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The history's memory: snapshots as changed pages, restored byte for byte, the oldest dropped into the next. */
class HistoryMemoryTest {
    private static final int PAGE = HistoryMemory.PAGE;
    private HostMemory ram;
    private HistoryMemory history;

    @BeforeEach
    void setUp() {
        UnicornLibrary library = UnicornLibrary.load(Optional.empty());
        ram = new HostMemory(library, 64 * PAGE);
        history = new HistoryMemory(List.of(ram), library);
    }

    @AfterEach
    void tearDown() {
        history.close();
        ram.close();
    }

    private void put(int page, int offset, long value) {
        ram.writeLong((long) page * PAGE + offset, value);
    }

    private long get(int page, int offset) {
        return ram.readLong((long) page * PAGE + offset);
    }

    @Test
    void aSnapshotHoldsOnlyThePagesChangedSinceTheOneBefore() {
        history.capture();                       // all zero: nothing to hold
        assertEquals(0, history.bytes());
        put(3, 8, 0x1111);
        put(9, 0, 0x2222);
        history.capture();                       // two pages, and the shadow's copies of them
        assertEquals(4L * PAGE, history.bytes());
        put(9, 0, 0x3333);
        history.capture();                       // one page more, the shadow already has page 9
        assertEquals(5L * PAGE, history.bytes());
        assertEquals(3, history.count());
    }

    @Test
    void restoringPutsBackExactlyTheBytesOfThatSnapshot() {
        put(1, 0, 7);
        history.capture();                       // 0: page 1 = 7
        put(1, 0, 8);
        put(2, 16, 9);
        history.capture();                       // 1: page 1 = 8, page 2 = 9
        put(2, 16, 10);
        put(5, 0, 11);                           // after the last snapshot: not in any
        assertEquals(3, history.restore(0));     // pages 1, 2 and 5 rewritten
        assertEquals(7, get(1, 0));
        assertEquals(0, get(2, 16));
        assertEquals(0, get(5, 0));
        history.restore(1);
        assertEquals(8, get(1, 0));
        assertEquals(9, get(2, 16));
        assertEquals(0, history.restore(1), "already there: nothing written");
    }

    @Test
    void droppingTheOldestKeepsEveryLaterSnapshotWhole() {
        put(1, 0, 1);
        put(4, 0, 4);
        history.capture();                       // 0: pages 1 and 4
        put(1, 0, 2);
        history.capture();                       // 1: page 1 changed, page 4 unchanged (held by 0)
        long before = history.bytes();
        history.dropOldest();
        assertEquals(1, history.count());
        assertEquals(before - PAGE, history.bytes(), "page 1's old version went, page 4 moved");
        put(1, 0, 99);
        put(4, 0, 99);
        history.restore(0);                      // the former snapshot 1
        assertEquals(2, get(1, 0));
        assertEquals(4, get(4, 0));
    }

    @Test
    void truncatingForgetsTheFutureAndCapturesFollowTheRestoredSnapshot() {
        put(1, 0, 1);
        history.capture();
        put(1, 0, 2);
        history.capture();
        history.restore(0);
        history.truncateAfter(0);
        assertEquals(1, history.count());
        put(2, 0, 5);
        history.capture();                       // compared with snapshot 0's memory: page 2 only
        put(1, 0, 77);
        history.restore(1);
        assertEquals(1, get(1, 0));
        assertEquals(5, get(2, 0));
        byte[] page = new byte[PAGE];
        ram.read(3L * PAGE, page, 0, PAGE);
        assertArrayEquals(new byte[PAGE], page);
        assertThrows(IndexOutOfBoundsException.class, () -> history.restore(2));
    }
}
