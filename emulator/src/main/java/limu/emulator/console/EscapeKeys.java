// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

/**
 * QEMU's escape key on a serial console: Ctrl-A, then one key. Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-A
 * Ctrl-A sends one Ctrl-A to the guest; any other key after Ctrl-A is dropped. Every other byte goes to the guest
 * as typed. One terminal's state, read by one thread.
 */
final class EscapeKeys {
    /** Ctrl-A, as a terminal sends it. */
    static final int CTRL_A = 0x01;

    static final String HELP = """
            C-a h    print this help
            C-a x    quit limu (exit code 32)
            C-a C-a  send C-a to the guest
            """;

    /** What a typed byte asks for. */
    enum Action {
        /** Send the byte to the guest. */
        SEND,
        /** Nothing (the escape key itself, or an unknown key after it). */
        NONE,
        QUIT,
        HELP
    }

    private boolean escaped;

    Action typed(int b) {
        int key = b & 0xFF;
        if (!escaped) {
            if (key == CTRL_A) {
                escaped = true;
                return Action.NONE;
            }
            return Action.SEND;
        }
        escaped = false;
        return switch (key) {
            case CTRL_A -> Action.SEND;
            case 'x' -> Action.QUIT;
            case 'h' -> Action.HELP;
            default -> Action.NONE;
        };
    }
}
