// Plain-language explanations of PID terms, for tooltips.
import { parseAntichain } from "./draw.js";

/** What each source letter stands for in a model. */
export function sourceWords(model, imageTask) {
  const input = imageTask ? "the image" : "the input";
  return {
    F: input,
    C: model === "feedback" ? "the output layer's feedback" : "the label",
    L: "the other hidden neurons",
  };
}

function join(parts) {
  if (parts.length <= 1) return parts.join("");
  return parts.slice(0, -1).join(", ") + " and " + parts[parts.length - 1];
}

/** E.g. ("{1}{2}", ["F","C"]) → "(F)(C): shared — information the image and the label share". */
export function explain(name, letters, words) {
  if (name === "H_res") return "H_res: residual — output entropy that none of the inputs explains";
  const collections = parseAntichain(name);
  const symbol = collections.map((c) => `(${c.map((i) => letters[i - 1]).join("")})`).join("");
  const word = (i) => words[letters[i - 1]] ?? `source ${i}`;
  const group = (c) => (c.length === 1 ? word(c[0]) : `${join(c.map(word))} together`);
  if (collections.length === 1) {
    const [c] = collections;
    if (c.length === 1) return `${symbol}: unique — information only ${word(c[0])} carries`;
    return `${symbol}: synergy — information only ${join(c.map(word))} carry together, none of them alone`;
  }
  if (collections.every((c) => c.length === 1)) {
    return `${symbol}: shared — information ${join(collections.map((c) => word(c[0])))} share`;
  }
  return `${symbol}: shared — information that each of ${join(collections.map((c) => `(${group(c)})`))} carries`;
}
