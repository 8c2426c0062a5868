// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

/**
 * Bytes the host sends down COM1's receive line: a terminal, a pipe, a file, a network client.
 * <p>
 * The run loop asks between slices, on its own thread, for no more bytes than the UART's receive
 * FIFO has room for and only while the guest asserts RTS, as a terminal with RTS/CTS flow control
 * sends: a byte taken is a byte the guest's FIFO holds, so none is lost or sent twice however fast
 * the source. What a source hands out, and after how much guest work, is all a recorder wrapping
 * it needs to replay a run.
 */
public interface SerialSource {
    /** {@link #take} returns this once no byte will ever come again. */
    int END = -1;

    /**
     * Copies up to {@code max} bytes that are ready now into {@code into} from {@code offset} and returns how many
     * (0: none yet), or {@link #END}. Never waits for bytes that have not arrived; a file's next bytes count as
     * arrived, which keeps a run fed from a file deterministic.
     */
    int take(byte[] into, int offset, int max);

    /**
     * Calls {@code wake} (from any thread) whenever bytes arrive or the input ends, so a machine whose CPUs all
     * wait in HLT for them goes on. A source whose bytes are always ready needs no wake-ups.
     */
    default void onArrival(Runnable wake) {
    }
}
