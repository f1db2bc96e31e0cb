// examples/data/digits.ts reads the shipped digits as scikit-learn's load_digits() gives them
// (the figures below were printed by sklearn 1.2.1's load_digits()).
import { expect, it } from "vitest";
import { loadDigits } from "../../examples/data/digits";

it("loads the 1797 8x8 digits with sklearn's values and labels", () => {
  const { images, labels } = loadDigits();
  expect(images.shape).toEqual([1797, 1, 8, 8]);
  expect(images.dtype).toBe("float32");
  expect(labels.shape).toEqual([1797]);
  expect(labels.dtype).toBe("int32");
  expect(images.select(0, 0).tolist()).toEqual([
    [
      [0, 0, 5, 13, 9, 1, 0, 0],
      [0, 0, 13, 15, 10, 15, 5, 0],
      [0, 3, 15, 2, 0, 11, 8, 0],
      [0, 4, 12, 0, 0, 8, 8, 0],
      [0, 5, 8, 0, 0, 9, 8, 0],
      [0, 4, 11, 0, 1, 12, 7, 0],
      [0, 2, 14, 5, 10, 12, 0, 0],
      [0, 0, 6, 13, 10, 0, 0, 0],
    ],
  ]);
  expect(images.sum().item()).toBe(561718);
  expect(labels.values().slice(0, 20)).toEqual([...Array(20).keys()].map((i) => i % 10));
  const counts = Array.from({ length: 10 }, (_, k) => labels.eq(k).sum().item());
  expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
});
