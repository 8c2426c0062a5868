// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * Rust symbol demangling for symbolization, in the spirit of the
 * {@code rustc-demangle} crate's alternate ({@code {:#}}) form: no hashes, no
 * crate disambiguators.
 * <ul>
 * <li>Legacy: {@code _ZN6kernel4main17h0123456789abcdefE} → {@code kernel::main}
 * ({@code $LT$}-style escapes and {@code ..} undone, the trailing {@code h<hash>}
 * component dropped).</li>
 * <li>v0 (RFC 2603): {@code _RNvCs1a_6kernel4main} → {@code kernel::main}; paths,
 * impls ({@code <T>}, {@code <T as Trait>}), generic arguments, basic and compound
 * types, back-references, closures ({@code {closure#0}}) and integer/bool/char
 * constants. Punycode identifiers are shown in their encoded form.</li>
 * </ul>
 * Anything that does not parse is returned unchanged.
 */
final class RustDemangler {
    private RustDemangler() {
    }

    static String demangle(String symbol) {
        if (symbol == null || symbol.isEmpty()) {
            return symbol;
        }
        try {
            String s = symbol;
            if (s.startsWith("_R") || s.startsWith("__R")) {
                String out = new V0(s.substring(s.startsWith("_R") ? 2 : 3)).symbol();
                return out != null ? out : symbol;
            }
            if (s.startsWith("_ZN") || s.startsWith("__ZN")) {
                String out = legacy(s.substring(s.startsWith("_ZN") ? 3 : 4));
                return out != null ? out : symbol;
            }
        } catch (RuntimeException e) {
            // A malformed name: show it raw rather than half-decoded.
        }
        return symbol;
    }

    // ---------------------------------------------------------------- legacy

    private static String legacy(String s) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        int components = 0;
        while (true) {
            if (i >= s.length()) {
                return null;
            }
            if (s.charAt(i) == 'E') {
                break;
            }
            int lenStart = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == lenStart || i - lenStart > 9) {
                return null;
            }
            int len = Integer.parseInt(s.substring(lenStart, i));
            if (len > s.length() - i) {
                return null;
            }
            String component = s.substring(i, i + len);
            i += len;
            boolean last = i < s.length() && s.charAt(i) == 'E';
            if (last && components > 0 && isHash(component)) {
                continue;
            }
            String unescaped = unescapeLegacy(component);
            if (unescaped == null) {
                return null;
            }
            if (components > 0) {
                out.append("::");
            }
            out.append(unescaped);
            components++;
        }
        // After the closing E only a suffix such as ".llvm.1234" may follow.
        if (components == 0 || (i + 1 < s.length() && s.charAt(i + 1) != '.')) {
            return null;
        }
        return out.toString();
    }

    private static boolean isHash(String c) {
        if (c.length() != 17 || c.charAt(0) != 'h') {
            return false;
        }
        for (int i = 1; i < 17; i++) {
            if (Character.digit(c.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static String unescapeLegacy(String c) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        if (c.startsWith("_$")) {
            i = 1;
        }
        while (i < c.length()) {
            char ch = c.charAt(i);
            if (ch == '$') {
                int close = c.indexOf('$', i + 1);
                if (close < 0) {
                    return null;
                }
                String esc = c.substring(i + 1, close);
                String rep = switch (esc) {
                    case "SP" -> "@";
                    case "BP" -> "*";
                    case "RF" -> "&";
                    case "LT" -> "<";
                    case "GT" -> ">";
                    case "LP" -> "(";
                    case "RP" -> ")";
                    case "C" -> ",";
                    default -> {
                        if (esc.startsWith("u") && esc.length() > 1 && esc.length() <= 7) {
                            int cp = Integer.parseInt(esc.substring(1), 16);
                            yield new String(Character.toChars(cp));
                        }
                        yield null;
                    }
                };
                if (rep == null) {
                    return null;
                }
                out.append(rep);
                i = close + 1;
            } else if (ch == '.' && i + 1 < c.length() && c.charAt(i + 1) == '.') {
                out.append("::");
                i += 2;
            } else {
                out.append(ch);
                i++;
            }
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- v0

    /** Recursive-descent printer over the text after {@code _R}; back-references are offsets into it. */
    private static final class V0 {
        private static final int MAX_DEPTH = 300;
        private static final int MAX_OUTPUT = 1 << 16;   // deeply generic iterator chains run past 4 KiB

        private final String s;
        private int pos;
        private int depth;
        private final StringBuilder out = new StringBuilder();

        V0(String s) {
            this.s = s;
        }

        String symbol() {
            // Optional encoding version: only version 0 (absent) exists.
            if (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                return null;
            }
            path(true);
            // An instantiating crate may follow; it is not printed. Then vendor suffixes start with '.' or '$'.
            if (pos < s.length() && s.charAt(pos) != '.' && s.charAt(pos) != '$') {
                int saved = out.length();
                path(false);
                out.setLength(saved);
            }
            if (pos < s.length() && s.charAt(pos) != '.' && s.charAt(pos) != '$') {
                return null;
            }
            return out.toString();
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        private char next() {
            if (pos >= s.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            return s.charAt(pos++);
        }

        private boolean eat(char c) {
            if (peek() == c) {
                pos++;
                return true;
            }
            return false;
        }

        private void emit(String text) {
            out.append(text);
            if (out.length() > MAX_OUTPUT) {
                throw new IllegalArgumentException("too long");
            }
        }

        private void enter() {
            if (++depth > MAX_DEPTH) {
                throw new IllegalArgumentException("too deep");
            }
        }

        /**
         * {@code {0-9a-zA-Z} "_"}: "_" is 0, otherwise the base-62 value plus one. Crate disambiguators are 64-bit
         * hashes, so the value wraps like a u64; only back-references use it as a number, and they are range-checked.
         */
        private long base62() {
            if (eat('_')) {
                return 0;
            }
            long x = 0;
            while (true) {
                char c = next();
                if (c == '_') {
                    return x + 1;
                }
                int d;
                if (c >= '0' && c <= '9') {
                    d = c - '0';
                } else if (c >= 'a' && c <= 'z') {
                    d = 10 + c - 'a';
                } else if (c >= 'A' && c <= 'Z') {
                    d = 36 + c - 'A';
                } else {
                    throw new IllegalArgumentException("bad base-62 digit");
                }
                x = x * 62 + d;
            }
        }

        private long optBase62(char tag) {
            return eat(tag) ? base62() + 1 : 0;
        }

        private int decimal() {
            int start = pos;
            if (peek() == '0') {
                pos++;
                return 0;
            }
            while (Character.isDigit(peek())) {
                pos++;
            }
            if (pos == start || pos - start > 9) {
                throw new IllegalArgumentException("bad decimal");
            }
            return Integer.parseInt(s.substring(start, pos));
        }

        /** {@code ["u"] decimal ["_"] bytes}; punycode ("u") is returned still encoded. */
        private String ident() {
            boolean punycode = eat('u');
            int len = decimal();
            eat('_');
            if (len > s.length() - pos) {
                throw new IllegalArgumentException("identifier past end");
            }
            String id = s.substring(pos, pos + len);
            pos += len;
            return punycode ? "punycode{" + id + "}" : id;
        }

        /** Runs {@code body} at the back-reference target, then resumes after the back-reference. */
        private void backref(Runnable body) {
            int tagStart = pos - 1;
            long target = base62();
            if (target < 0 || target >= tagStart) {
                throw new IllegalArgumentException("forward back-reference");
            }
            int saved = pos;
            pos = (int) target;
            body.run();
            pos = saved;
        }

        /** {@code inValue}: generic arguments in expression position print as {@code ::<..>}. */
        private void path(boolean inValue) {
            enter();
            char tag = next();
            switch (tag) {
                case 'C' -> {
                    optBase62('s');
                    emit(ident());
                }
                case 'M' -> {
                    optBase62('s');
                    skipPath();
                    emit("<");
                    type();
                    emit(">");
                }
                case 'X' -> {
                    optBase62('s');
                    skipPath();
                    emit("<");
                    type();
                    emit(" as ");
                    path(false);
                    emit(">");
                }
                case 'Y' -> {
                    emit("<");
                    type();
                    emit(" as ");
                    path(false);
                    emit(">");
                }
                case 'N' -> {
                    char ns = next();
                    path(inValue);
                    long dis = optBase62('s');
                    String id = ident();
                    if (ns >= 'A' && ns <= 'Z') {
                        String kind = switch (ns) {
                            case 'C' -> "closure";
                            case 'S' -> "shim";
                            default -> String.valueOf(ns);
                        };
                        emit("::{" + kind + (id.isEmpty() ? "" : ":" + id) + "#" + Long.toUnsignedString(dis) + "}");
                    } else if (!id.isEmpty()) {
                        emit("::" + id);
                    }
                }
                case 'I' -> {
                    path(inValue);
                    emit(inValue ? "::<" : "<");
                    genericArgs();
                    emit(">");
                }
                case 'B' -> backref(() -> path(inValue));
                default -> throw new IllegalArgumentException("bad path tag " + tag);
            }
            depth--;
        }

        /** Parses a path without printing it (impl paths: the impl's own location). */
        private void skipPath() {
            int saved = out.length();
            path(false);
            out.setLength(saved);
        }

        private void genericArgs() {
            boolean first = true;
            while (!eat('E')) {
                if (!first) {
                    emit(", ");
                }
                first = false;
                if (eat('L')) {
                    base62();
                    emit("'_");
                } else if (eat('K')) {
                    constant();
                } else {
                    type();
                }
            }
        }

        private static String basic(char c) {
            return switch (c) {
                case 'a' -> "i8";
                case 'b' -> "bool";
                case 'c' -> "char";
                case 'd' -> "f64";
                case 'e' -> "str";
                case 'f' -> "f32";
                case 'h' -> "u8";
                case 'i' -> "isize";
                case 'j' -> "usize";
                case 'l' -> "i32";
                case 'm' -> "u32";
                case 'n' -> "i128";
                case 'o' -> "u128";
                case 's' -> "i16";
                case 't' -> "u16";
                case 'u' -> "()";
                case 'v' -> "...";
                case 'x' -> "i64";
                case 'y' -> "u64";
                case 'z' -> "!";
                case 'p' -> "_";
                default -> null;
            };
        }

        private void type() {
            enter();
            char tag = peek();
            String b = basic(tag);
            if (b != null) {
                pos++;
                emit(b);
                depth--;
                return;
            }
            switch (tag) {
                case 'R', 'Q' -> {
                    pos++;
                    if (eat('L')) {
                        base62();
                    }
                    emit(tag == 'R' ? "&" : "&mut ");
                    type();
                }
                case 'P', 'O' -> {
                    pos++;
                    emit(tag == 'P' ? "*const " : "*mut ");
                    type();
                }
                case 'A' -> {
                    pos++;
                    emit("[");
                    type();
                    emit("; ");
                    constant();
                    emit("]");
                }
                case 'S' -> {
                    pos++;
                    emit("[");
                    type();
                    emit("]");
                }
                case 'T' -> {
                    pos++;
                    emit("(");
                    int n = 0;
                    while (!eat('E')) {
                        if (n++ > 0) {
                            emit(", ");
                        }
                        type();
                    }
                    if (n == 1) {
                        emit(",");
                    }
                    emit(")");
                }
                case 'F' -> {
                    pos++;
                    fnSig();
                }
                case 'D' -> {
                    pos++;
                    dynBounds();
                    if (eat('L')) {
                        base62();
                    } else {
                        throw new IllegalArgumentException("dyn without lifetime");
                    }
                }
                case 'B' -> {
                    pos++;
                    backref(this::type);
                }
                default -> path(false);
            }
            depth--;
        }

        private void fnSig() {
            optBase62('G');
            if (eat('U')) {
                emit("unsafe ");
            }
            if (eat('K')) {
                String abi = eat('C') ? "C" : ident().replace('_', '-');
                emit("extern \"" + abi + "\" ");
            }
            emit("fn(");
            int n = 0;
            while (!eat('E')) {
                if (n++ > 0) {
                    emit(", ");
                }
                type();
            }
            emit(")");
            if (peek() == 'u') {
                pos++;
            } else {
                emit(" -> ");
                type();
            }
        }

        private void dynBounds() {
            optBase62('G');
            emit("dyn ");
            int n = 0;
            while (!eat('E')) {
                if (n++ > 0) {
                    emit(" + ");
                }
                dynTrait();
            }
        }

        private void dynTrait() {
            int before = out.length();
            path(false);
            boolean open = false;
            while (eat('p')) {
                if (!open) {
                    // Associated-type bindings join the trait's generic list: Trait<Item = T>.
                    if (out.length() > before && out.charAt(out.length() - 1) == '>') {
                        out.setLength(out.length() - 1);
                        emit(", ");
                    } else {
                        emit("<");
                    }
                    open = true;
                } else {
                    emit(", ");
                }
                emit(ident() + " = ");
                type();
            }
            if (open) {
                emit(">");
            }
        }

        private void constant() {
            enter();
            char tag = peek();
            if (tag == 'B') {
                pos++;
                backref(this::constant);
                depth--;
                return;
            }
            if (tag == 'p') {
                pos++;
                emit("_");
                depth--;
                return;
            }
            pos++;
            String b = basic(tag);
            if (b == null) {
                throw new IllegalArgumentException("unsupported const type " + tag);
            }
            boolean negative = eat('n');
            int start = pos;
            while (peek() != '_') {
                if (Character.digit(next(), 16) < 0) {
                    throw new IllegalArgumentException("bad const digit");
                }
            }
            String hexDigits = s.substring(start, pos);
            pos++;
            java.math.BigInteger v = hexDigits.isEmpty() ? java.math.BigInteger.ZERO
                    : new java.math.BigInteger(hexDigits, 16);
            switch (tag) {
                case 'b' -> emit(v.signum() == 0 ? "false" : "true");
                case 'c' -> emit("'" + new String(Character.toChars(v.intValueExact())) + "'");
                default -> emit((negative ? "-" : "") + v);
            }
            depth--;
        }
    }
}
