// ml-regression 6.x ships no types; only the class the Thermal Predictor fits is declared.
declare module 'ml-regression' {
  export class MultivariateLinearRegression {
    constructor(x: number[][], y: number[][], options?: { intercept?: boolean; statistics?: boolean });
    weights: number[][];
    predict(x: number[]): number[];
  }
}
