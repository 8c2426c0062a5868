// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.display;

import java.awt.event.KeyEvent;
import java.util.Map;
import java.util.Optional;
import limu.devices.Ps2Key;

/**
 * Which PC key a host key is: AWT's virtual key code (the key's position for letters, digits and
 * punctuation on a US layout) and its location (left/right, keypad) to the {@link Ps2Key} a PS/2
 * keyboard would send. Keys a PC keyboard lacks map to nothing.
 */
final class HostKeys {
    private static final Map<Integer, Ps2Key> STANDARD = Map.ofEntries(
            Map.entry(KeyEvent.VK_ESCAPE, Ps2Key.ESCAPE), Map.entry(KeyEvent.VK_1, Ps2Key.DIGIT_1),
            Map.entry(KeyEvent.VK_2, Ps2Key.DIGIT_2), Map.entry(KeyEvent.VK_3, Ps2Key.DIGIT_3),
            Map.entry(KeyEvent.VK_4, Ps2Key.DIGIT_4), Map.entry(KeyEvent.VK_5, Ps2Key.DIGIT_5),
            Map.entry(KeyEvent.VK_6, Ps2Key.DIGIT_6), Map.entry(KeyEvent.VK_7, Ps2Key.DIGIT_7),
            Map.entry(KeyEvent.VK_8, Ps2Key.DIGIT_8), Map.entry(KeyEvent.VK_9, Ps2Key.DIGIT_9),
            Map.entry(KeyEvent.VK_0, Ps2Key.DIGIT_0), Map.entry(KeyEvent.VK_MINUS, Ps2Key.MINUS),
            Map.entry(KeyEvent.VK_EQUALS, Ps2Key.EQUALS), Map.entry(KeyEvent.VK_BACK_SPACE, Ps2Key.BACKSPACE),
            Map.entry(KeyEvent.VK_TAB, Ps2Key.TAB), Map.entry(KeyEvent.VK_Q, Ps2Key.Q), Map.entry(KeyEvent.VK_W, Ps2Key.W),
            Map.entry(KeyEvent.VK_E, Ps2Key.E), Map.entry(KeyEvent.VK_R, Ps2Key.R), Map.entry(KeyEvent.VK_T, Ps2Key.T),
            Map.entry(KeyEvent.VK_Y, Ps2Key.Y), Map.entry(KeyEvent.VK_U, Ps2Key.U), Map.entry(KeyEvent.VK_I, Ps2Key.I),
            Map.entry(KeyEvent.VK_O, Ps2Key.O), Map.entry(KeyEvent.VK_P, Ps2Key.P),
            Map.entry(KeyEvent.VK_OPEN_BRACKET, Ps2Key.LEFT_BRACKET),
            Map.entry(KeyEvent.VK_CLOSE_BRACKET, Ps2Key.RIGHT_BRACKET), Map.entry(KeyEvent.VK_A, Ps2Key.A),
            Map.entry(KeyEvent.VK_S, Ps2Key.S), Map.entry(KeyEvent.VK_D, Ps2Key.D), Map.entry(KeyEvent.VK_F, Ps2Key.F),
            Map.entry(KeyEvent.VK_G, Ps2Key.G), Map.entry(KeyEvent.VK_H, Ps2Key.H), Map.entry(KeyEvent.VK_J, Ps2Key.J),
            Map.entry(KeyEvent.VK_K, Ps2Key.K), Map.entry(KeyEvent.VK_L, Ps2Key.L),
            Map.entry(KeyEvent.VK_SEMICOLON, Ps2Key.SEMICOLON), Map.entry(KeyEvent.VK_QUOTE, Ps2Key.QUOTE),
            Map.entry(KeyEvent.VK_BACK_QUOTE, Ps2Key.BACK_QUOTE), Map.entry(KeyEvent.VK_BACK_SLASH, Ps2Key.BACKSLASH),
            Map.entry(KeyEvent.VK_Z, Ps2Key.Z), Map.entry(KeyEvent.VK_X, Ps2Key.X), Map.entry(KeyEvent.VK_C, Ps2Key.C),
            Map.entry(KeyEvent.VK_V, Ps2Key.V), Map.entry(KeyEvent.VK_B, Ps2Key.B), Map.entry(KeyEvent.VK_N, Ps2Key.N),
            Map.entry(KeyEvent.VK_M, Ps2Key.M), Map.entry(KeyEvent.VK_COMMA, Ps2Key.COMMA),
            Map.entry(KeyEvent.VK_PERIOD, Ps2Key.PERIOD), Map.entry(KeyEvent.VK_SLASH, Ps2Key.SLASH),
            Map.entry(KeyEvent.VK_SPACE, Ps2Key.SPACE), Map.entry(KeyEvent.VK_CAPS_LOCK, Ps2Key.CAPS_LOCK),
            Map.entry(KeyEvent.VK_F1, Ps2Key.F1), Map.entry(KeyEvent.VK_F2, Ps2Key.F2),
            Map.entry(KeyEvent.VK_F3, Ps2Key.F3), Map.entry(KeyEvent.VK_F4, Ps2Key.F4),
            Map.entry(KeyEvent.VK_F5, Ps2Key.F5), Map.entry(KeyEvent.VK_F6, Ps2Key.F6),
            Map.entry(KeyEvent.VK_F7, Ps2Key.F7), Map.entry(KeyEvent.VK_F8, Ps2Key.F8),
            Map.entry(KeyEvent.VK_F9, Ps2Key.F9), Map.entry(KeyEvent.VK_F10, Ps2Key.F10),
            Map.entry(KeyEvent.VK_F11, Ps2Key.F11), Map.entry(KeyEvent.VK_F12, Ps2Key.F12),
            Map.entry(KeyEvent.VK_NUM_LOCK, Ps2Key.NUM_LOCK), Map.entry(KeyEvent.VK_SCROLL_LOCK, Ps2Key.SCROLL_LOCK),
            Map.entry(KeyEvent.VK_NUMPAD0, Ps2Key.KEYPAD_0), Map.entry(KeyEvent.VK_NUMPAD1, Ps2Key.KEYPAD_1),
            Map.entry(KeyEvent.VK_NUMPAD2, Ps2Key.KEYPAD_2), Map.entry(KeyEvent.VK_NUMPAD3, Ps2Key.KEYPAD_3),
            Map.entry(KeyEvent.VK_NUMPAD4, Ps2Key.KEYPAD_4), Map.entry(KeyEvent.VK_NUMPAD5, Ps2Key.KEYPAD_5),
            Map.entry(KeyEvent.VK_NUMPAD6, Ps2Key.KEYPAD_6), Map.entry(KeyEvent.VK_NUMPAD7, Ps2Key.KEYPAD_7),
            Map.entry(KeyEvent.VK_NUMPAD8, Ps2Key.KEYPAD_8), Map.entry(KeyEvent.VK_NUMPAD9, Ps2Key.KEYPAD_9),
            Map.entry(KeyEvent.VK_MULTIPLY, Ps2Key.KEYPAD_MULTIPLY), Map.entry(KeyEvent.VK_SUBTRACT, Ps2Key.KEYPAD_MINUS),
            Map.entry(KeyEvent.VK_ADD, Ps2Key.KEYPAD_PLUS), Map.entry(KeyEvent.VK_DECIMAL, Ps2Key.KEYPAD_DECIMAL),
            Map.entry(KeyEvent.VK_DIVIDE, Ps2Key.KEYPAD_DIVIDE), Map.entry(KeyEvent.VK_HOME, Ps2Key.HOME),
            Map.entry(KeyEvent.VK_UP, Ps2Key.UP), Map.entry(KeyEvent.VK_PAGE_UP, Ps2Key.PAGE_UP),
            Map.entry(KeyEvent.VK_LEFT, Ps2Key.LEFT), Map.entry(KeyEvent.VK_RIGHT, Ps2Key.RIGHT),
            Map.entry(KeyEvent.VK_END, Ps2Key.END), Map.entry(KeyEvent.VK_DOWN, Ps2Key.DOWN),
            Map.entry(KeyEvent.VK_PAGE_DOWN, Ps2Key.PAGE_DOWN), Map.entry(KeyEvent.VK_INSERT, Ps2Key.INSERT),
            Map.entry(KeyEvent.VK_DELETE, Ps2Key.DELETE), Map.entry(KeyEvent.VK_CONTEXT_MENU, Ps2Key.MENU),
            Map.entry(KeyEvent.VK_LESS, Ps2Key.BACKSLASH_102));

    private HostKeys() {
    }

    /** The PC key for AWT's {@code keyCode} at {@code location} ({@link KeyEvent#getKeyLocation()}). */
    static Optional<Ps2Key> ps2Key(int keyCode, int location) {
        boolean right = location == KeyEvent.KEY_LOCATION_RIGHT;
        return switch (keyCode) {
            case KeyEvent.VK_SHIFT -> Optional.of(right ? Ps2Key.RIGHT_SHIFT : Ps2Key.LEFT_SHIFT);
            case KeyEvent.VK_CONTROL -> Optional.of(right ? Ps2Key.RIGHT_CTRL : Ps2Key.LEFT_CTRL);
            case KeyEvent.VK_ALT -> Optional.of(right ? Ps2Key.RIGHT_ALT : Ps2Key.LEFT_ALT);
            case KeyEvent.VK_ALT_GRAPH -> Optional.of(Ps2Key.RIGHT_ALT);
            case KeyEvent.VK_WINDOWS, KeyEvent.VK_META -> Optional.of(right ? Ps2Key.RIGHT_META : Ps2Key.LEFT_META);
            case KeyEvent.VK_ENTER -> Optional.of(location == KeyEvent.KEY_LOCATION_NUMPAD ? Ps2Key.KEYPAD_ENTER
                    : Ps2Key.ENTER);
            default -> Optional.ofNullable(STANDARD.get(keyCode));
        };
    }
}
