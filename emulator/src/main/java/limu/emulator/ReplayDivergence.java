// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

/**
 * A replayed run stopped doing what the recorded run did (an input due at a loop turn the replay reached in
 * another state, or bytes COM1 could not take): the message says what and where (loop turn, virtual time, CPU).
 */
public final class ReplayDivergence extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReplayDivergence(String message) {
        super(message);
    }
}
