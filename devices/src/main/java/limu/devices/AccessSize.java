package limu.devices;

/** Port access widths: IN/OUT move 1, 2 or 4 bytes. */
final class AccessSize {
    private AccessSize() {
    }

    /** The bits an access of {@code size} bytes carries; all ones is what a floating bus reads as. */
    static int mask(int size) {
        return switch (size) {
            case 1 -> 0xFF;
            case 2 -> 0xFFFF;
            case 4 -> 0xFFFF_FFFF;
            default -> throw new IllegalArgumentException("bad port access size " + size + " (want 1, 2 or 4)");
        };
    }
}
