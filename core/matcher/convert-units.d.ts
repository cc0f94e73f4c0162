// convert-units 2.x ships no types; only the calls the matcher makes are declared.
declare module 'convert-units' {
  interface UnitDescription {
    abbr: string;
    measure: string;
    system: string;
    singular: string;
    plural: string;
  }
  interface Converter {
    from(unit: string): Converter;
    to(unit: string): number;
    list(measure?: string): UnitDescription[];
    describe(unit: string): UnitDescription;
  }
  function convert(value?: number): Converter;
  export default convert;
}
