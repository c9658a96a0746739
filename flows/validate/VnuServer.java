// The Nu HTML Checker kept warm (flows/check.py's nu_html starts it through flows/jvm.py; Java
// 11+ runs this source file directly: java -cp vnu.jar VnuServer.java SOCKET).
//
// The same protocol as EpubCheckServer.java: a request is the paths of HTML pages, one per line,
// ended by an empty line; the answer is "json 0 LENGTH\n" and the checker's JSON messages for
// them all (what `java -jar vnu.jar --format json` writes), or "error MESSAGE\n". The request
// "--version" is answered with the checker's version. Pages are checked as the command line
// checks .html files (SimpleCommandLineValidator: the html5-all schema, warnings included).
// The process ends when its standard input closes.

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Manifest;
import nu.validator.client.SimpleCommandLineValidator;
import nu.validator.json.Serializer;
import nu.validator.messages.JsonMessageEmitter;
import nu.validator.messages.MessageEmitterAdapter;
import nu.validator.servlet.imagereview.ImageCollector;
import nu.validator.source.SourceCode;
import nu.validator.validation.SimpleDocumentValidator;
import nu.validator.xml.SystemErrErrorHandler;

public class VnuServer {
    private static final Object ONE_AT_A_TIME = new Object();
    // The HTML schema's patterns recurse deeply: the command line asks for -Xss512k or more.
    private static final long STACK = 64L << 20;
    private static final String SCHEMA = "http://s.validator.nu/html5-all.rnc";
    private static String version = "";
    private static Path folder;

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        folder = socket.getParent();
        PrintStream protocol = System.out;
        System.setOut(System.err);
        System.setProperty("nu.validator.datatype.warn", "true"); // as the command line sets it
        try (InputStream manifest = SimpleCommandLineValidator.class.getClassLoader()
                .getResourceAsStream("META-INF/MANIFEST.MF")) {
            version = new Manifest(manifest).getMainAttributes().getValue("Implementation-Version");
        }
        Thread owner = new Thread(VnuServer::exitWithOwner, "exit-with-owner");
        owner.setDaemon(true);
        owner.start();
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Files.deleteIfExists(socket);
        server.bind(UnixDomainSocketAddress.of(socket));
        protocol.println("ready " + version);
        protocol.flush();
        while (true) {
            SocketChannel client = server.accept();
            Thread thread = new Thread(null, () -> serve(client), "client", STACK);
            thread.setDaemon(true);
            thread.start();
        }
    }

    private static void exitWithOwner() {
        try {
            while (System.in.read() != -1) {
                // nothing is sent: only the end matters
            }
        } catch (IOException e) {
            // the pipe broke: the owner is gone all the same
        }
        // An owner that was killed could not remove the folder: the last one alive does.
        File[] left = folder.toFile().listFiles();
        for (File file : left == null ? new File[0] : left) {
            file.delete();
        }
        folder.toFile().delete();
        Runtime.getRuntime().halt(0);
    }

    private static void serve(SocketChannel channel) {
        try (channel) {
            BufferedReader in = new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(channel);
            List<String> argv = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isEmpty()) {
                    argv.add(line);
                    continue;
                }
                out.write(check(argv));
                out.flush();
                argv.clear();
            }
        } catch (IOException e) {
            // the client went away: nothing to answer
        }
    }

    private static byte[] check(List<String> argv) {
        try {
            byte[] report;
            if (argv.equals(List.of("--version"))) {
                report = version.getBytes(StandardCharsets.UTF_8);
            } else {
                synchronized (ONE_AT_A_TIME) {
                    report = validate(argv);
                }
            }
            byte[] head = ("json 0 " + report.length + "\n").getBytes(StandardCharsets.UTF_8);
            byte[] answer = new byte[head.length + report.length];
            System.arraycopy(head, 0, answer, 0, head.length);
            System.arraycopy(report, 0, answer, head.length, report.length);
            return answer;
        } catch (Exception | StackOverflowError e) {
            String why = String.valueOf(e).replace('\n', ' ');
            return ("error " + why + "\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    // What SimpleCommandLineValidator does for .html files with --format json.
    private static byte[] validate(List<String> pages) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SimpleDocumentValidator validator = new SimpleDocumentValidator(true, false, true);
        SourceCode source = validator.getSourceCode();
        MessageEmitterAdapter messages = new MessageEmitterAdapter(null, source, false,
                new ImageCollector(source), 0, true,
                new JsonMessageEmitter(new Serializer(out), null, false));
        messages.setErrorsOnly(false);
        messages.setHtml(true);
        messages.start(null);
        validator.setAllowCss(false);
        validator.setUpMainSchema(SCHEMA, new SystemErrErrorHandler());
        validator.setUpValidatorAndParsers(messages, false, false);
        for (String page : pages) {
            validator.checkHtmlFile(new File(page), true);
        }
        messages.end("Document checking completed. No errors found.",
                "Document checking completed.", "");
        return out.toByteArray();
    }
}
