// Check RDF files against the OWL 2 DL and OWL 2 RL profiles with the OWL API (5.1, Debian).
//
// Run with Java's single-file source launcher; tests/owlapi.py builds the classpath:
//
//     java -cp <owlapi-distribution.jar:deps...> tests/owlapi/ProfileCheck.java [--axioms] FILE...
//
// The files (Turtle .ttl, N-Triples .nt, RDF/XML .rdf/.owl/.xml; the OWL API also adds
// .ofn/.omn/.owx) are parsed with Rio into ONE RDF graph, which the OWL API reads as one
// ontology; that ontology is checked. Merging triples, not ontologies, lets a data file use
// the properties another file declares. Imports are never fetched: an owl:imports of an
// ontology that is not among the given files is only listed under "missing_imports".
// Illegal punning is reported, not repaired. The OWL API's own "strict" loader mode is not
// used: in 5.1.20 it drops axiom annotations (an owl:Axiom reification becomes annotations
// of a blank node) and logs a warning for every entity.
//
// stdout: one JSON object, every string on one line, every list sorted:
//   "dl", "rl"               profile violations (toString of each OWLProfileViolation)
//   "dl_kinds", "rl_kinds"   violation class name -> count (some toStrings are misleading)
//   "unparsed_triples"       triples the OWL API could not turn into axioms
//   "undeclared"             entities used without a declaration, e.g. "Class(<iri>)"
//   "warnings"               WARNING/SEVERE messages logged while parsing (OWL API, Rio)
//   "missing_imports"        imported ontologies that are not among the given files
//   "axioms", "logical_axioms", "annotated_axioms", "classes", "object_properties",
//   "data_properties", "annotation_properties", "individuals"   counts
//   "axiom_list"             only with --axioms: every axiom in functional-style syntax
// Exit status: 0 when the check ran, whatever it found; 2 with a one-line message on
// stderr when the arguments were wrong or a file could not be loaded.

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

import org.eclipse.rdf4j.model.Model;
import org.eclipse.rdf4j.model.impl.LinkedHashModel;
import org.eclipse.rdf4j.model.vocabulary.OWL;
import org.eclipse.rdf4j.model.vocabulary.RDF;
import org.eclipse.rdf4j.rio.ParseErrorListener;
import org.eclipse.rdf4j.rio.RDFFormat;
import org.eclipse.rdf4j.rio.RDFParseException;
import org.eclipse.rdf4j.rio.RDFParser;
import org.eclipse.rdf4j.rio.RDFParserRegistry;
import org.eclipse.rdf4j.rio.Rio;
import org.eclipse.rdf4j.rio.helpers.StatementCollector;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.NTriplesDocumentFormat;
import org.semanticweb.owlapi.io.OWLParserException;
import org.semanticweb.owlapi.io.UnparsableOntologyException;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.parameters.Imports;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWL2RLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.rio.RioMemoryTripleSource;

public class ProfileCheck {

    public static void main(String[] args) {
        boolean listAxioms = false;
        List<File> files = new ArrayList<>();
        for (String a : args) {
            if (a.equals("--axioms")) listAxioms = true;
            else if (a.startsWith("--")) die("unknown option " + a);
            else files.add(new File(a));
        }
        if (files.isEmpty()) die("usage: ProfileCheck [--axioms] FILE...");
        for (File f : files) {
            if (!f.isFile()) die("no such file: " + f);
        }
        try {
            System.out.println(check(files, listAxioms));
        } catch (LoadError e) {
            die(e.getMessage());
        } catch (Throwable e) {  // also NoClassDefFoundError from an incomplete classpath
            die(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        System.exit(0);
    }

    static String check(List<File> files, boolean listAxioms) throws Exception {
        LogCollector log = LogCollector.install();

        // 1. Parse every file with Rio into ONE RDF graph. Merging triples rather than
        //    ontologies matters: the OWL API types each triple from the declarations it
        //    sees, so a data file parsed apart from the file declaring its properties
        //    would turn its object property assertions into annotation assertions.
        //    Each parse gets fresh blank nodes, so equal labels in two files stay apart.
        Model graph = new LinkedHashModel();
        for (File f : files) {
            RDFFormat format = Rio.getParserFormatForFileName(f.getName()).orElseThrow(() ->
                new LoadError("cannot load " + f + ": unknown RDF file extension (known: "
                    + RDFParserRegistry.getInstance().getKeys().stream()
                        .flatMap(k -> k.getFileExtensions().stream()).sorted()
                        .collect(Collectors.joining(" ")) + ")"));
            RDFParser parser = Rio.createParser(format);
            parser.setRDFHandler(new StatementCollector(graph));
            parser.setParseErrorListener(new ParseErrorListener() {
                @Override public void warning(String msg, long line, long col) {
                    log.add("WARNING rio " + f.getName() + ":" + line + ":" + col + ": " + msg);
                }
                @Override public void error(String msg, long line, long col) {
                    log.add("SEVERE rio " + f.getName() + ":" + line + ":" + col + ": " + msg);
                }
                @Override public void fatalError(String msg, long line, long col) {}  // thrown
            });
            try (InputStream in = new FileInputStream(f)) {
                parser.parse(in, f.toURI().toString());
            } catch (RDFParseException e) {  // the message names the line when Rio knows it
                throw new LoadError("cannot parse " + f + ": " + e.getMessage());
            } catch (IOException e) {
                throw new LoadError("cannot read " + f + ": " + e.getMessage());
            }
        }

        // 2. Let the OWL API turn the graph into an ontology.
        OWLOntologyManager m = OWLManager.createOWLOntologyManager();
        // Never go to the network for an import: send every non-file IRI to a missing file.
        m.getIRIMappers().set(iri -> "file".equals(iri.getScheme()) ? iri
            : IRI.create(new File("/nonexistent/import-not-fetched.owl")));
        Set<String> missingImports = new TreeSet<>();
        m.addMissingImportListener(e -> missingImports.add(e.getImportedOntologyURI().toString()));
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
            .setRepairIllegalPunnings(false)
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT);
        OWLOntology all;
        try {
            all = m.loadOntologyFromOntologyDocument(new GraphSource(graph), config);
        } catch (UnparsableOntologyException e) {
            throw new LoadError("cannot load the merged graph: " + parserMessages(e));
        } catch (Exception e) {
            throw new LoadError("cannot load the merged graph: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        Set<String> unparsed = new TreeSet<>();
        OWLDocumentFormat format = m.getOntologyFormat(all);
        if (format != null) {
            format.getOntologyLoaderMetaData().ifPresent(meta ->
                meta.getUnparsedTriples().forEach(t -> unparsed.add(oneLine(t.toString()))));
        }
        // An import of one of the given files is satisfied by the merge.
        Set<String> given = graph.filter(null, RDF.TYPE, OWL.ONTOLOGY).subjects().stream()
            .map(Object::toString).collect(Collectors.toSet());
        graph.filter(null, OWL.VERSIONIRI, null).objects().forEach(v -> given.add(v.toString()));
        missingImports.removeAll(given);

        Set<String> undeclared = all.signature()
            .filter(e -> !e.isBuiltIn() && !all.isDeclared(e, Imports.INCLUDED))
            .map(e -> e.getEntityType().getName() + "(" + e + ")")
            .collect(Collectors.toCollection(TreeSet::new));
        Map<String, OWLProfileViolation> dl = byText(new OWL2DLProfile().checkOntology(all).getViolations());
        Map<String, OWLProfileViolation> rl = byText(new OWL2RLProfile().checkOntology(all).getViolations());

        Json out = new Json();
        out.list("dl", dl.keySet());
        out.list("rl", rl.keySet());
        out.counts("dl_kinds", kinds(dl));
        out.counts("rl_kinds", kinds(rl));
        out.list("unparsed_triples", unparsed);
        out.list("undeclared", undeclared);
        out.list("warnings", log.messages);
        out.list("missing_imports", missingImports);
        out.number("axioms", all.getAxiomCount());
        out.number("logical_axioms", all.getLogicalAxiomCount());
        out.number("annotated_axioms", all.axioms().filter(OWLAxiom::isAnnotated).count());
        out.number("classes", all.classesInSignature().filter(e -> !e.isBuiltIn()).count());
        out.number("object_properties", all.objectPropertiesInSignature().filter(e -> !e.isBuiltIn()).count());
        out.number("data_properties", all.dataPropertiesInSignature().filter(e -> !e.isBuiltIn()).count());
        out.number("annotation_properties", all.annotationPropertiesInSignature().filter(e -> !e.isBuiltIn()).count());
        out.number("individuals", all.individualsInSignature().count());
        if (listAxioms) {
            out.list("axiom_list", all.axioms().map(a -> oneLine(a.toString()))
                .collect(Collectors.toCollection(TreeSet::new)));
        }
        return out.close();
    }

    static final class LoadError extends Exception {
        private static final long serialVersionUID = 1L;

        LoadError(String message) {
            super(message);
        }
    }

    /** The merged graph as a document the OWL API's Rio parser reads directly. */
    static final class GraphSource extends RioMemoryTripleSource {
        GraphSource(Model graph) {
            super(graph);
            setNamespaces(graph.getNamespaces());
        }

        @Override public Optional<OWLDocumentFormat> getFormat() {
            return Optional.of(new NTriplesDocumentFormat());  // picks a Rio parser, skips the others
        }
    }

    /** The first paragraph of each parser's complaint (the full message carries stack traces). */
    static String parserMessages(UnparsableOntologyException e) {
        Set<String> messages = new TreeSet<>();
        for (OWLParserException p : e.getExceptions().values()) {
            Throwable t = p;
            while (t.getMessage() == null && t.getCause() != null) t = t.getCause();
            messages.add(oneLine(String.valueOf(t.getMessage()).split("\\R\\s*\\R", 2)[0]));
        }
        return String.join("; ", messages);
    }

    /** Violations keyed by their one-line toString (the OWL API reports some twice). */
    static Map<String, OWLProfileViolation> byText(List<OWLProfileViolation> violations) {
        Map<String, OWLProfileViolation> m = new TreeMap<>();
        for (OWLProfileViolation v : violations) m.putIfAbsent(oneLine(v.toString()), v);
        return m;
    }

    static Map<String, Long> kinds(Map<String, OWLProfileViolation> violations) {
        return violations.values().stream().collect(Collectors.groupingBy(
            v -> v.getClass().getSimpleName(), TreeMap::new, Collectors.counting()));
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    static void die(String message) {
        String m = oneLine(String.valueOf(message));
        System.err.println("ProfileCheck: " + (m.length() > 1000 ? m.substring(0, 1000) + "..." : m));
        System.exit(2);
    }

    /** Keeps the WARNING and SEVERE records the OWL API logs (slf4j-jdk14 -> java.util.logging). */
    static final class LogCollector extends Handler {
        final Set<String> messages = new TreeSet<>();

        static LogCollector install() {
            Logger root = Logger.getLogger("");
            for (Handler h : root.getHandlers()) root.removeHandler(h);
            LogCollector c = new LogCollector();
            root.addHandler(c);
            root.setLevel(Level.WARNING);
            return c;
        }

        @Override public void publish(LogRecord r) {
            if (r.getLevel().intValue() < Level.WARNING.intValue()) return;
            String msg = String.valueOf(r.getMessage());
            if (r.getParameters() != null) {  // slf4j's "{}" placeholders
                for (Object p : r.getParameters()) {
                    msg = msg.replaceFirst("\\{\\}", Matcher.quoteReplacement(String.valueOf(p)));
                }
            }
            add(r.getLevel() + " " + r.getLoggerName() + ": " + msg);
        }

        void add(String message) {
            messages.add(oneLine(message));
        }

        @Override public void flush() {}

        @Override public void close() {}
    }

    /** A minimal writer for one flat JSON object. */
    static final class Json {
        private final StringBuilder b = new StringBuilder("{");

        private StringBuilder key(String k) {
            if (b.length() > 1) b.append(", ");
            return b.append(quote(k)).append(": ");
        }

        void number(String k, long n) {
            key(k).append(n);
        }

        void list(String k, Collection<String> values) {
            key(k).append(values.stream().map(Json::quote).collect(Collectors.joining(", ", "[", "]")));
        }

        void counts(String k, Map<String, Long> counts) {
            key(k).append(counts.entrySet().stream().map(e -> quote(e.getKey()) + ": " + e.getValue())
                .collect(Collectors.joining(", ", "{", "}")));
        }

        String close() {
            return b.append("}").toString();
        }

        static String quote(String s) {
            StringBuilder q = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"': q.append("\\\""); break;
                    case '\\': q.append("\\\\"); break;
                    case '\n': q.append("\\n"); break;
                    case '\r': q.append("\\r"); break;
                    case '\t': q.append("\\t"); break;
                    default:
                        if (c < 0x20) q.append(String.format("\\u%04x", (int) c));
                        else q.append(c);
                }
            }
            return q.append('"').toString();
        }
    }
}
