// The query page's editor: CodeMirror 6 with SPARQL highlighting, completion of the dataset's prefixes
// and terms, and the error position the endpoint reports. Bundled by build.mjs into
// server/static/vendor/editor.min.js, which exposes one global, SparqlEditor.
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, indentOnInput, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { highlightSelectionMatches } from "@codemirror/search";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";

const KEYWORDS = [
  "SELECT", "DISTINCT", "WHERE", "FILTER", "OPTIONAL", "UNION", "GRAPH", "ORDER BY", "GROUP BY", "HAVING", "LIMIT",
  "OFFSET", "ASK", "CONSTRUCT", "DESCRIBE", "PREFIX", "BIND", "VALUES", "MINUS", "EXISTS", "NOT EXISTS", "COUNT",
  "SAMPLE", "GROUP_CONCAT", "STR", "LANG", "REGEX", "CONTAINS", "STRSTARTS", "SUBSTR", "LCASE", "isIRI", "DESC", "ASC",
];

/**
 * Make an editor in place of a textarea (which keeps the text for forms and for pages without script).
 * options: prefixes {name: IRI}; terms(): a promise of [{prefix, local, label}] for completion;
 * onRun(): called on Ctrl+Enter; label: the id of the element naming the editor.
 */
function create(textarea, options) {
  const termList = { items: null };
  const complete = async (context) => {
    const word = context.matchBefore(/[\w-]*:?[\w.-]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const text = word.text;
    const colon = text.indexOf(":");
    if (colon < 0) {
      const prefixOptions = Object.keys(options.prefixes).map((name) => ({ label: `${name}:`, type: "namespace", detail: options.prefixes[name] }));
      const keywordOptions = KEYWORDS.map((k) => ({ label: k, type: "keyword" }));
      return { from: word.from, options: [...prefixOptions, ...keywordOptions], validFor: /^[\w-]*$/ };
    }
    if (!termList.items) termList.items = await options.terms();
    const prefix = text.slice(0, colon);
    const found = termList.items
      .filter((t) => t.prefix === prefix)
      .map((t) => ({ label: `${prefix}:${t.local}`, type: t.kind || "variable", detail: t.label || "" }));
    return { from: word.from, options: found, validFor: /^[\w-]*:[\w.-]*$/ };
  };
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        lintGutter(),
        EditorView.lineWrapping,
        StreamLanguage.define(sparql),
        syntaxHighlighting(defaultHighlightStyle),
        autocompletion({ override: [complete] }),
        keymap.of([
          { key: "Mod-Enter", run: () => { options.onRun(); return true; } },
          ...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, indentWithTab,
        ]),
        EditorView.contentAttributes.of({ "aria-labelledby": options.label, "aria-multiline": "true" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) {
            textarea.value = update.state.doc.toString();
            update.view.dispatch(setDiagnostics(update.state, []));
          }
        }),
      ],
    }),
  });
  textarea.hidden = true;
  textarea.after(view.dom);
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    /** Mark the error at 1-based line and column (as the endpoint reports it) and show the message there. */
    markError(line, column, message) {
      const doc = view.state.doc;
      const lineInfo = doc.line(Math.min(Math.max(line, 1), doc.lines));
      // The character at the position; at the end of a line (a missing token), the line's last character.
      let from = Math.min(lineInfo.from + Math.max(column - 1, 0), lineInfo.to);
      if (from === lineInfo.to && from > lineInfo.from) from -= 1;
      const to = Math.min(from + 1, lineInfo.to);
      view.dispatch(setDiagnostics(view.state, [{ from, to, severity: "error", message }]));
      view.dispatch({ selection: { anchor: from }, scrollIntoView: true });
    },
    focus: () => view.focus(),
  };
}

window.SparqlEditor = { create };
