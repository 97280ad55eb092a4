// snappyjs ships no types: the two functions it has.
declare module 'snappyjs' {
  const snappy: { compress(input: Uint8Array): Uint8Array; uncompress(input: Uint8Array): Uint8Array };
  export default snappy;
}
